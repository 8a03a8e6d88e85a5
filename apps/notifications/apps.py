from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    verbose_name = "邮件通知"

    def ready(self):
        from apps.notifications import receivers  # noqa: F401  (connects the feedback reply mail)
