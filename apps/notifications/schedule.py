"""The periodic jobs, run once a minute by the worker (`manage.py worker`) or `publish_due`."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from apps.notifications import deliveries, heartbeat, office
from apps.notifications.live import mark_live
from apps.push import deliveries as push_deliveries
from apps.search.indexing import index_marked

logger = logging.getLogger(__name__)

# Finished tasks are kept this long for the operator, then deleted: a queued message holds
# its whole text, a password-reset link included.
KEEP_FINISHED_TASKS = timedelta(days=2)
# A task "running" for longer belongs to a worker that was killed (django-tasks-db leaves it
# so): it is run again, and so is one whose worker's heartbeat stopped. Our tasks are short
# (one message) or safe to run twice (an issue's mail claims its rows).
ABANDONED_AFTER = timedelta(hours=1)


def run_periodic_jobs() -> dict:
    """Scheduled issues that went live get their mail and cards; due retries resume; subscriptions
    about to end are reminded, and editors with drafts two days before an issue's 截稿日期;
    tasks a killed worker left run again; old task rows go; articles the database marked as
    changed are searched by their new words (the safety net for changes no receiver saw:
    `QuerySet.update()`, raw SQL). Each part is safe to run twice."""
    now = timezone.now()
    claimed = mark_live()
    deliveries.resume()
    push_deliveries.resume()
    reminded = office.send_expiry_reminders()
    deadline_reminded = office.send_deadline_reminders()
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    dead = set(heartbeat.dead_workers().values_list("worker_id", flat=True))
    # Few rows run at once; worker_ids is JSON, which SQLite cannot search: read here.
    abandoned = [
        pk
        for pk, started_at, workers in running.values_list("pk", "started_at", "worker_ids")
        if started_at < now - ABANDONED_AFTER or (workers and workers[-1] in dead)
    ]
    running.filter(pk__in=abandoned).update(status=TaskResultStatus.READY, started_at=None)
    heartbeat.forget_old()
    DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED_TASKS).delete()
    indexed = index_marked()
    return {
        "live": claimed,
        "reminded": reminded,
        "deadline_reminded": deadline_reminded,
        "indexed": indexed,
    }


@task()
def periodic_jobs() -> dict:
    return run_periodic_jobs()
