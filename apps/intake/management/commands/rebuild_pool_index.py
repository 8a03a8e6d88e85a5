from django.core.management.base import BaseCommand

from apps.intake.pool_search import rebuild


class Command(BaseCommand):
    help = "重建素材库的全文检索索引（所有素材）。"

    def handle(self, *args, **options):
        self.stdout.write(f"已重建素材库检索索引：{rebuild()} 条素材。")
