"""The background worker: django-tasks-db's `db_worker`, plus the once-a-minute jobs.

A thread puts the periodic job on the queue every minute unless one is already waiting; the
worker runs it like any task. Several workers may run: each job is safe to run twice.
"""

import logging
import os
import threading
import time

from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

from apps.notifications.schedule import periodic_jobs

logger = logging.getLogger(__name__)


class Command(DbWorkerCommand):
    help = "运行后台任务（发送邮件等），并每分钟执行定时任务（定时发布、重试、到期提醒）。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=60,
            help="Seconds between runs of the periodic jobs; 0 turns them off (default: 60).",
        )

    def handle(self, *args, schedule_interval, reload, **options):
        # Under the autoreloader only the child process works; the parent only watches files.
        is_working_process = not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if schedule_interval and is_working_process:
            threading.Thread(
                target=_schedule, args=(schedule_interval,), name="schedule", daemon=True
            ).start()
        super().handle(*args, reload=reload, **options)


def _schedule(interval):
    while True:
        try:
            waiting = DBTaskResult.objects.ready().filter(task_path=periodic_jobs.module_path)
            if not waiting.exists():
                periodic_jobs.enqueue()
        except Exception:  # a database outage: try again next time
            logger.exception("could not queue the periodic jobs")
        finally:
            connections.close_all()
        time.sleep(interval)
