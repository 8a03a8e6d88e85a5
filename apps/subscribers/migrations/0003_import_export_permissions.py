"""Importing and exporting subscribers become permissions of their own, held by 订户管理 only.

Until now django-import-export's views checked no permission, so every staff account, editors
and reviewers included, could export subscribers' contact details or import changes to them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE = "订户管理"
CODENAMES = ["import_subscriber", "export_subscriber"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the role needs them now.
    app_config = apps.get_app_config("subscribers")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, using=schema_editor.connection.alias, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="subscribers", codename__in=CODENAMES
    )
    # A database whose role was renamed or removed keeps its choice: superusers still may.
    for group in Group.objects.filter(name=ROLE):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="subscribers", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name=ROLE):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ('subscribers', '0002_feedback_and_reading_leave'),
        # The role is created there.
        ('accounts', '0002_roles'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='subscriber',
            options={'ordering': ['organization', 'user__username'], 'permissions': [('import_subscriber', '可以导入订户'), ('export_subscriber', '可以导出订户')], 'verbose_name': '订户', 'verbose_name_plural': '订户'},
        ),
        migrations.RunPython(grant, revoke),
    ]
