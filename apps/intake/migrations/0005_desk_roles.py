"""The desk (素材库): editors and reviewers use the pool; reviewers manage the watch words.

Both roles see and triage clippings (view, change) and clip a link by hand (add: the add page
is 添加链接); nobody but a superuser deletes one. Editors look the watch words up; reviewers
manage them, as they manage the sources (0002). 订户管理 gets nothing here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "编辑": ["add_clipping", "change_clipping", "view_clipping", "view_watchword"],
    "审核": [
        "add_clipping", "change_clipping", "view_clipping",
        "add_watchword", "change_watchword", "delete_watchword", "view_watchword",
    ],
}  # fmt: skip


def grant(apps, schema_editor):
    app_config = apps.get_app_config("intake")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="intake", codename__in=codes)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        for group in Group.objects.filter(name=role):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="intake", codename__in=codes)
            )


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_pool_search"), ("accounts", "0004_subscriber_admins_lift_locks")]

    operations = [migrations.RunPython(grant, revoke)]
