from django.apps import AppConfig


class ReaderConfig(AppConfig):
    name = "apps.reader"
    verbose_name = "阅读"
