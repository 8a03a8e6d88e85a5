"""Intake's once-a-minute job, run by the worker on its own queue: fetch the due sources,
train the tagger when a week has passed, and drop old ignored clippings."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from apps.intake import sources, tagging
from apps.intake.ingest import run_round
from apps.intake.models import Clipping

logger = logging.getLogger(__name__)


def fetch_due(*, now=None) -> int:
    """Fetch the sources that are due; return how many were fetched. Stops starting new
    pages after INTAKE_ROUND_SECONDS: the rest stay due for the next round."""
    due = list(sources.due(now).prefetch_related("industries"))
    if not due:
        return 0
    stop_at = time.monotonic() + settings.INTAKE_ROUND_SECONDS
    for report in run_round(due, stop_at=stop_at):
        logger.info(
            "source fetched: %s",
            report.source.name,
            extra={
                "event": "intake_fetched",
                "source": report.source.pk,
                "new": report.new,
                "updated": report.updated,
                "skipped": len(report.skipped),
                "error": report.error,
            },
        )
    return len(due)


def remove_old_ignored(now=None) -> int:
    """Ignored clippings older than INTAKE_KEEP_IGNORED_DAYS go; those made into articles
    are kept whatever their state."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INTAKE_KEEP_IGNORED_DAYS)
    old = Clipping.objects.filter(
        state=Clipping.State.IGNORED, fetched_at__lt=cutoff, article__isnull=True
    )
    _, removed = old.delete()
    return removed.get(Clipping._meta.label, 0)


def run_intake_round(now=None) -> dict:
    fetched = fetch_due(now=now)
    trained = tagging.train_weekly(now=now)
    removed = remove_old_ignored(now)
    return {"fetched": fetched, "trained": bool(trained and trained.kept), "removed": removed}


@task(queue_name="intake")
def intake_round() -> dict:
    return run_intake_round()
