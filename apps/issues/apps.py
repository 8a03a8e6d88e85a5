from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "apps.issues"
    verbose_name = "期刊"
