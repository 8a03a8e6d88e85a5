from django.apps import AppConfig

from apps.core.revisions import Counter, watch


class ArticlesConfig(AppConfig):
    name = "apps.articles"
    verbose_name = "文章"

    def ready(self):
        # Reader pages show all of these (and the article-industry links): cached pages
        # follow every change of them.
        for name in ("Article", "Section", "Industry", "IndustryGroup", "IssueSection"):
            watch(self.get_model(name), Counter.CONTENT)
