"""The periodic jobs, run once a minute by the worker (`manage.py worker`) or `publish_due`."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from apps.notifications import deliveries, office
from apps.notifications.live import mark_live

logger = logging.getLogger(__name__)

# Finished tasks are kept this long for the operator, then deleted: a queued message holds
# its whole text, a password-reset link included.
KEEP_FINISHED_TASKS = timedelta(days=2)


def run_periodic_jobs() -> dict:
    """Scheduled issues that went live get their mail; due retries resume; subscriptions
    about to end are reminded; old task rows go. Each part is safe to run twice."""
    claimed = mark_live()
    deliveries.resume()
    reminded = office.send_expiry_reminders()
    DBTaskResult.objects.finished().filter(
        finished_at__lt=timezone.now() - KEEP_FINISHED_TASKS
    ).delete()
    return {"live": claimed, "reminded": reminded}


@task()
def periodic_jobs() -> dict:
    return run_periodic_jobs()
