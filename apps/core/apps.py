from django.apps import AppConfig

from apps.core import revisions


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = "基础"

    def ready(self):
        revisions.connect()
