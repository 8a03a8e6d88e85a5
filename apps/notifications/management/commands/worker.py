"""The background worker: django-tasks-db's `db_worker`, plus the once-a-minute jobs.

A thread puts each periodic job (settings.WORKER_PERIODIC_TASKS) on its queue every minute
unless one is already waiting; the worker runs it like any task. Several workers may run: each
job is safe to run twice. The queues after the first (settings.TASKS) are worked by threads of
their own, so that a long job there (intake's fetching round) never holds up the mail.

The worker outlives its database: a lost connection (PostgreSQL restarting or stopped) is
waited out with growing pauses and logged at each attempt, never a reason to exit. Another
thread writes the heartbeat that health checks read (apps.notifications.heartbeat).
"""

import copy
import logging
import os
import threading
import time
from functools import partial

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.compat import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from apps.notifications import heartbeat
from apps.notifications.reconnect import (
    CONNECTION_ERRORS,
    drop_connections,
    first_line,
    pauses,
    until_connected,
    wait_for_database,
)

logger = logging.getLogger(__name__)

# A worker that ran this long (seconds) since its last lost connection meets the next outage
# with short pauses again.
RESET_BACKOFF_AFTER = 60


class Command(DbWorkerCommand):
    help = "运行后台任务（发送邮件等），并每分钟执行定时任务（定时发布、重试、到期提醒）。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Every queue the project declares, the first in the main thread (see `work`).
        parser.set_defaults(queue_name=",".join(settings.TASKS["default"]["QUEUES"]))
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=60,
            help="Seconds between runs of the periodic jobs; 0 turns them off (default: 60).",
        )

    def handle(self, *args, schedule_interval, reload, batch, **options):
        self.configure_logging(options["verbosity"])
        worker = DurableWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=[],
        )
        if reload and not batch:
            # Under the autoreloader only the child process works; the parent only watches.
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(lambda: self.work(worker, schedule_interval))
        else:
            worker.configure_signals()
            self.work(worker, schedule_interval)

    @staticmethod
    def work(worker, schedule_interval):
        heartbeat.start(worker.worker_id)
        if schedule_interval:
            threading.Thread(
                target=_schedule, args=(schedule_interval,), name="schedule", daemon=True
            ).start()
        queues = worker.queue_names
        if len(queues) > 1:
            worker.queue_names = queues[:1]
            for name in queues[1:]:
                # Same worker id: its tasks are taken back with the rest if the process dies.
                side = copy.copy(worker)
                side.queue_names = [name]
                threading.Thread(target=side.run, name=f"queue-{name}", daemon=True).start()
        worker.run()


class DurableWorker(Worker):
    """django-tasks-db's worker, which waits out a lost database instead of exiting.

    - Looking for the next task: on a lost connection, pause and look again.
    - A task that lost the connection half-way goes back to the queue once the database is
      back (our tasks are safe to run twice: an issue's mail claims its rows, and what was
      sent is recorded before the task ends, see deliveries.py).
    - A task's outcome is recorded once the database is back, so a finished task (a message
      sent) is never run again.
    """

    def run(self) -> None:
        failures, attempt = pauses(), 0
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except CONNECTION_ERRORS as error:
                if time.monotonic() - started > RESET_BACKOFF_AFTER:
                    failures, attempt = pauses(), 0  # a new outage starts with short pauses
                attempt += 1
                wait_for_database(error, attempt, next(failures), doing="looking for tasks")
                self.startup_delay = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.running_task = True
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend = type(task.get_backend())
            task_started.send(sender=backend, task_result=task_result)
            try:
                value = task.call(*task_result.args, **task_result.kwargs)
            except CONNECTION_ERRORS:
                logger.warning(
                    "task %s lost the database; it runs again once the database is back",
                    db_task_result.id,
                    extra={"event": "task_requeued", "task_id": str(db_task_result.id)},
                )
                until_connected(partial(_queue_again, db_task_result), doing="queueing again")
                return
            except BaseException as error:  # recorded on the task, as django-tasks-db does
                until_connected(
                    partial(db_task_result.set_failed, error), doing="recording a failure"
                )
            else:
                until_connected(
                    partial(db_task_result.set_successful, value), doing="recording a result"
                )
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1


def _queue_again(db_task_result: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=db_task_result.pk).update(
        status=TaskResultStatus.READY, started_at=None
    )


def _schedule(interval):
    jobs = [import_string(path) for path in settings.WORKER_PERIODIC_TASKS]
    while True:
        try:
            for job in jobs:
                waiting = DBTaskResult.objects.ready().filter(task_path=job.module_path)
                if not waiting.exists():
                    job.enqueue()
        except CONNECTION_ERRORS as error:  # the database is away: next time
            logger.warning(
                "periodic jobs not queued, database unavailable: %s",
                first_line(error),
                extra={"event": "schedule_missed"},
            )
        except Exception:  # anything else must not end the schedule either
            logger.exception("could not queue the periodic jobs")
        finally:
            drop_connections()
        time.sleep(interval)
