from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.notifications.schedule import periodic_jobs

# The worker runs its periodic job every minute; five minutes without one means it is stuck
# or gone.
HEALTHY_WITHIN = timedelta(minutes=5)


class Command(BaseCommand):
    help = "检查后台任务进程是否在工作（最近五分钟内完成过定时任务）；供容器健康检查使用。"

    def handle(self, *args, **options):
        recent = DBTaskResult.objects.finished().filter(
            task_path=periodic_jobs.module_path,
            finished_at__gte=timezone.now() - HEALTHY_WITHIN,
        )
        if not recent.exists():
            raise CommandError("后台任务进程最近五分钟没有完成定时任务。")
        self.stdout.write("后台任务进程工作正常。")
