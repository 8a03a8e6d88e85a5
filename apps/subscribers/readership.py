"""Who read what: one row per subscriber and issue or article, with first, last and count."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.subscribers.models import Reading


def record_reading(user, issue, article=None):
    """Count one opening of `issue` (or of `article` in it); staff readings are not counted."""
    if user.is_staff:
        return
    now = timezone.now()
    rows = Reading.objects.filter(user=user, issue=issue, article=article)
    if rows.update(last_read_at=now, count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            Reading.objects.create(
                user=user, issue=issue, article=article, first_read_at=now, last_read_at=now
            )
    except IntegrityError:
        # Another request of the same reader created the row first.
        rows.update(last_read_at=now, count=F("count") + 1)
