from django.apps import AppConfig

from apps.core.revisions import Counter, watch


class SubscribersConfig(AppConfig):
    name = "apps.subscribers"
    verbose_name = "订户"

    def ready(self):
        # The cached signed-in user carries the subscription: it follows every change of it.
        watch(self.get_model("Subscriber"), Counter.READERS)
