"""A source's state after each fetch: the only code that writes it.

Paired: `record_success` ends what `record_failure` started (the failures, the backoff).
"""

from django.db.models import F
from django.utils import timezone

from apps.intake.models import Source


def due(now=None):
    """The active sources whose time to be fetched has come."""
    now = now or timezone.now()
    return Source.objects.filter(active=True, next_fetch_at__lte=now)


def record_success(source: Source, *, etag: str = "", last_modified: str = "", now=None) -> None:
    """The fetch worked: clear the failures, keep the validators, fetch again after the
    interval. `record_failure` is its pair."""
    now = now or timezone.now()
    source.last_fetched_at = source.last_success_at = now
    source.last_error, source.failing_since, source.consecutive_failures = "", None, 0
    source.etag, source.last_modified = etag[:500], last_modified[:100]
    source.next_fetch_at = now + source.interval()
    source.save(
        update_fields=[
            "last_fetched_at", "last_success_at", "last_error", "failing_since",
            "consecutive_failures", "etag", "last_modified", "next_fetch_at",
        ]
    )  # fmt: skip


def record_failure(source: Source, reason: str, *, now=None) -> None:
    """The fetch failed for `reason` (Chinese): count it, and from the fifth in a row wait
    longer before the next try. `record_success` is its pair."""
    now = now or timezone.now()
    Source.objects.filter(pk=source.pk, failing_since__isnull=True).update(failing_since=now)
    Source.objects.filter(pk=source.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_fetched_at=now, last_error=reason
    )
    source.refresh_from_db()
    source.next_fetch_at = now + source.interval()
    source.save(update_fields=["next_fetch_at"])
