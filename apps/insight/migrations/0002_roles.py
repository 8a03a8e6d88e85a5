"""Reviewers (审核) and subscriber administrators (订户管理) open the dashboard; only the
subscriber administrators see people in it (each leader's reading, who has not read)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "审核": ["view_insight"],
    "订户管理": ["view_insight", "view_insight_people"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("insight")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="insight", codename__in=codes)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in GRANTS.items():
        for group in Group.objects.filter(name=role):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="insight", codename__in=codes)
            )


class Migration(migrations.Migration):
    dependencies = [("insight", "0001_rollups"), ("accounts", "0004_subscriber_admins_lift_locks")]

    operations = [migrations.RunPython(grant, revoke)]
