from django.core.management.base import BaseCommand

from apps.search.indexing import rebuild


class Command(BaseCommand):
    help = "重建全文检索索引（所有已发布的文章）。"

    def handle(self, *args, **options):
        self.stdout.write(f"已重建检索索引：{rebuild()} 篇文章。")
