from django.core.management.base import BaseCommand

from apps.issues.models import Issue
from apps.notifications.schedule import run_periodic_jobs


class Command(BaseCommand):
    help = (
        "执行定时任务：记录已到发布时间的期刊上线并排队发送其邮件、重试到期的邮件、发送订阅到期提醒、"
        "重新索引有改动的文章。"
        "可重复运行；后台任务进程（manage.py worker）每分钟自动执行一次。"
    )

    def handle(self, *args, **options):
        done = run_periodic_jobs()
        for issue in Issue.objects.filter(pk__in=done["live"]):
            self.stdout.write(f"已上线：{issue}")
        self.stdout.write(f"本次处理 {len(done['live'])} 期，发送到期提醒 {done['reminded']} 位。")
        if done["indexed"]:
            self.stdout.write(f"已重新索引 {done['indexed']} 篇有改动的文章。")
