from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "apps.articles"
    verbose_name = "文章"
