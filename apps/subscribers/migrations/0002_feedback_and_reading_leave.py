"""Feedback and Reading move to their own apps (feedback, readership).

Only Django's idea of which app owns them changes; the tables keep their names and rows
(see feedback 0001 and readership 0001, which take them over).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subscribers', '0001_initial'),
        # The roles were given the models' permissions while they still lived here.
        ('accounts', '0002_roles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='subscriber',
            name='notify_by_email',
            field=models.BooleanField(default=True, help_text='邮件通知尚未开通；开通后，新一期发布时按此设置发送。', verbose_name='新一期发布时邮件通知'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Feedback'),
                migrations.DeleteModel(name='Reading'),
            ],
            database_operations=[],
        ),
    ]
