from django.apps import AppConfig

from apps.core.revisions import Counter, watch, watch_clock


class IssuesConfig(AppConfig):
    name = "apps.issues"
    verbose_name = "期刊"

    def ready(self):
        # Reader pages show issues: cached pages follow every change of them.
        issue = self.get_model("Issue")
        watch(issue, Counter.CONTENT)

        # ... and the clock: a scheduled issue appears at its `published_at` with no write (and
        # no worker) at all, so no cached page outlives the next such time.
        def going_live(at):
            scheduled = issue.objects.filter(status=issue.Status.PUBLISHED, published_at__gt=at)
            return scheduled.order_by("published_at").values("published_at")

        watch_clock(Counter.CONTENT, going_live)
