"""Reading takes over the model and table it had in the subscribers app.

The table `subscribers_reading` keeps its name and rows; only Django's state moves here. The content
type moves too, so the permissions the roles hold and the admin's log follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="subscribers", target="readership"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=source, model="reading").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="readership", target="subscribers")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('subscribers', '0002_feedback_and_reading_leave'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('articles', '0002_seed_taxonomy_and_sections'),
        ('issues', '0002_went_live_at_help_text'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reading',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('first_read_at', models.DateTimeField(verbose_name='首次阅读')),
                        ('last_read_at', models.DateTimeField(db_index=True, verbose_name='最近阅读')),
                        ('count', models.PositiveIntegerField(default=1, verbose_name='阅读次数')),
                        ('article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='readings', to='articles.article', verbose_name='文章')),
                        ('issue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='readings', to='issues.issue', verbose_name='期刊')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='readings', to=settings.AUTH_USER_MODEL, verbose_name='读者')),
                    ],
                    options={
                        'verbose_name': '阅读记录',
                        'verbose_name_plural': '阅读记录',
                        'db_table': 'subscribers_reading',
                        'ordering': ['-last_read_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('article__isnull', True)), fields=('user', 'issue'), name='subscribers_reading_one_row_per_issue'), models.UniqueConstraint(condition=models.Q(('article__isnull', False)), fields=('user', 'article'), name='subscribers_reading_one_row_per_article')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
