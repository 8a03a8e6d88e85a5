from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "用户与权限"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from apps.accounts import user_cache

        for signal in (post_save, post_delete):
            signal.connect(user_cache.forget_user, sender="accounts.User")
            signal.connect(user_cache.forget_subscriber, sender="subscribers.Subscriber")
