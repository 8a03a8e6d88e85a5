from django.core.management.base import BaseCommand

from apps.issues.models import Issue
from apps.workflow.machine import mark_live


class Command(BaseCommand):
    help = "处理已到发布时间的期刊（标记上线、触发后续处理）。可重复运行，适合每分钟执行一次。"

    def handle(self, *args, **options):
        claimed = mark_live()
        for issue in Issue.objects.filter(pk__in=claimed):
            self.stdout.write(f"已上线：{issue}")
        self.stdout.write(f"本次处理 {len(claimed)} 期。")
