from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "apps.insight"
    verbose_name = "数据看板"

    def ready(self):
        from apps.core.revisions import Counter, watch

        # A cached dashboard is good only while the rollups it was drawn from are unchanged.
        for name in (
            "IssueAudience",
            "IssueReach",
            "ArticleMonth",
            "IndustryMonth",
            "ReaderMonth",
            "ReaderSeen",
        ):
            watch(self.get_model(name), Counter.INSIGHT)
