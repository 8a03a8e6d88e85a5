"""Subscriber administrators may see and lift the login locks of their subscribers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODES = ["view_loginlockout", "delete_loginlockout"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="订户管理")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=CODES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="订户管理"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename__in=CODES)
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_login_lockout")]

    operations = [migrations.RunPython(grant, revoke)]
