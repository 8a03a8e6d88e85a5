"""Feedback takes over the model and table it had in the subscribers app.

The table `subscribers_feedback` keeps its name and rows; only Django's state moves here. The content
type moves too, so the permissions the roles hold and the admin's log follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="subscribers", target="feedback"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=source, model="feedback").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="feedback", target="subscribers")


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
                    name='Feedback',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('message', models.TextField(max_length=2000, verbose_name='内容')),
                        ('status', models.CharField(choices=[('new', '新'), ('handled', '已处理')], db_index=True, default='new', max_length=20, verbose_name='处理状态')),
                        ('reply', models.TextField(blank=True, help_text='订户可以在“意见和建议”页面看到答复。', verbose_name='答复')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='提交时间')),
                        ('handled_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                        ('article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='articles.article', verbose_name='相关文章')),
                        ('assignee', models.ForeignKey(blank=True, limit_choices_to={'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feedback', to=settings.AUTH_USER_MODEL, verbose_name='提交人')),
                        ('issue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issues.issue', verbose_name='相关期刊')),
                    ],
                    options={
                        'verbose_name': '意见和建议',
                        'verbose_name_plural': '意见和建议',
                        'db_table': 'subscribers_feedback',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
