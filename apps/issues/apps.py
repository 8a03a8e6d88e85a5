from django.apps import AppConfig

from apps.core.revisions import Counter, watch


class IssuesConfig(AppConfig):
    name = "apps.issues"
    verbose_name = "期刊"

    def ready(self):
        # Reader pages show issues: cached pages follow every change of them.
        watch(self.get_model("Issue"), Counter.CONTENT)
