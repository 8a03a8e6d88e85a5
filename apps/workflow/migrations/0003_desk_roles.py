"""The desk's permissions: every editorial role comments; editors propose corrections and
reviewers decide them; the new role 签发 (the institute's 所长 or 分管领导) signs issues and
reads, without changing, what it signs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SIGN_OFF_ROLE = "签发"
COMMENTS = ["workflow.add_comment", "workflow.view_comment"]
GRANTS = {
    "编辑": [*COMMENTS, "workflow.add_correctionproposal", "workflow.view_correctionproposal"],
    "审核": [
        *COMMENTS,
        "workflow.add_correctionproposal",
        "workflow.view_correctionproposal",
        "workflow.review_correctionproposal",
        "workflow.view_signoff",
    ],
    SIGN_OFF_ROLE: [
        *COMMENTS,
        "workflow.sign_issue",
        "workflow.view_signoff",
        "workflow.view_correctionproposal",
        "workflow.view_transitionlog",
        "issues.view_issue",
        "articles.view_article",
        "articles.view_section",
        "articles.view_industry",
        "articles.view_industrygroup",
    ],
}


def _permissions(apps, codes):
    Permission = apps.get_model("auth", "Permission")
    for code in codes:
        app_label, codename = code.split(".")
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for role, codes in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(apps, codes))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=SIGN_OFF_ROLE).delete()
    for role, codes in GRANTS.items():
        for group in Group.objects.filter(name=role):
            group.permissions.remove(*_permissions(apps, codes))


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0002_desk"),
        ("accounts", "0004_subscriber_admins_lift_locks"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
