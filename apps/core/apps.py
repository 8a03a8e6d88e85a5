from django.apps import AppConfig

from apps.core.content import connect_receivers


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = "基础"

    def ready(self):
        connect_receivers()
