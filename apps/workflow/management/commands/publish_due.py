from django.core.management.base import BaseCommand

from apps.issues.models import Issue
from apps.workflow.steps import mark_live


class Command(BaseCommand):
    help = "记录已到发布时间的定时期刊的上线时间。可重复运行，适合每分钟执行一次。"

    def handle(self, *args, **options):
        claimed = mark_live()
        for issue in Issue.objects.filter(pk__in=claimed):
            self.stdout.write(f"已上线：{issue}")
        self.stdout.write(f"本次处理 {len(claimed)} 期。")
