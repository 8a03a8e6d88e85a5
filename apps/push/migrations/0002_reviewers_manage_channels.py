"""Reviewers (审核) manage the push channels; editors and subscriber administrators do not."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE = "审核"
CODES = ["add_channel", "change_channel", "delete_channel", "view_channel"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("push")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="push", codename__in=CODES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=ROLE):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="push", codename__in=CODES)
        )


class Migration(migrations.Migration):
    dependencies = [("push", "0001_channels"), ("accounts", "0004_subscriber_admins_lift_locks")]

    operations = [migrations.RunPython(grant, revoke)]
