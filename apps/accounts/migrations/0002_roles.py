"""Create the staff roles (groups) with the model permissions each needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "编辑": [
        "articles.add_article", "articles.change_article", "articles.view_article",
        "articles.delete_article",
        "articles.view_section", "articles.view_industry", "articles.view_industrygroup",
        "issues.add_issue", "issues.change_issue", "issues.view_issue",
        "workflow.view_transitionlog",
    ],
    "审核": [
        "articles.add_article", "articles.change_article", "articles.delete_article",
        "articles.view_article",
        "articles.add_section", "articles.change_section", "articles.view_section",
        "articles.add_industry", "articles.change_industry", "articles.view_industry",
        "articles.change_industrygroup", "articles.view_industrygroup",
        "issues.add_issue", "issues.change_issue", "issues.delete_issue", "issues.view_issue",
        "articles.review_article", "issues.review_issue", "workflow.view_transitionlog",
        "subscribers.view_feedback", "subscribers.change_feedback",
    ],
    "订户管理": [
        "subscribers.add_subscriber", "subscribers.change_subscriber",
        "subscribers.delete_subscriber", "subscribers.view_subscriber",
        "subscribers.view_feedback", "subscribers.change_feedback",
        "subscribers.view_reading",
        "articles.view_industry",
    ],
}  # fmt: skip


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("articles", "0002_seed_taxonomy_and_sections"),
        ("issues", "0001_initial"),
        ("subscribers", "0001_initial"),
        ("workflow", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
