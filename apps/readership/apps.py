from django.apps import AppConfig


class ReadershipConfig(AppConfig):
    name = "apps.readership"
    verbose_name = "阅读统计"
