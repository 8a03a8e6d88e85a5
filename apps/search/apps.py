from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "apps.search"
    verbose_name = "全文检索"

    def ready(self):
        # The index follows the database: triggers mark changed articles, receivers re-index
        # them right after the commit (indexing.py's docstring). Imported here: both need
        # the models, which are loaded after this module.
        from apps.search import marks, signal_handlers

        marks.connect()
        signal_handlers.connect()
