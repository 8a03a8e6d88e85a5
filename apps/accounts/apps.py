from django.apps import AppConfig

from apps.core.revisions import Counter, watch


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "用户与权限"

    def ready(self):
        # The signed-in user is cached between requests (apps.accounts.user_cache); any change
        # but the time of the last login makes every cached copy stale.
        watch(self.get_model("User"), Counter.READERS, ignore=("last_login",))
