from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "apps.subscribers"
    verbose_name = "订户"
