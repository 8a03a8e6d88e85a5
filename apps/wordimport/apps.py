from django.apps import AppConfig


class WordImportConfig(AppConfig):
    name = "apps.wordimport"
    verbose_name = "Word 导入"
