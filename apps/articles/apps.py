from django.apps import AppConfig

from apps.core.revisions import Counter, watch


class ArticlesConfig(AppConfig):
    name = "apps.articles"
    verbose_name = "文章"

    def ready(self):
        # Reader pages show all of these (and the article-industry links): cached pages
        # follow every change of them.
        names = ("Article", "Section", "Industry", "IndustryGroup", "IssueSection", "Correction")
        for name in names:
            watch(self.get_model(name), Counter.CONTENT)
