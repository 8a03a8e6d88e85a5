"""Who read what: one row per subscriber and issue or article, with first, last and count."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.readership.models import Reading

# Opening the same page again within this many seconds (a reload, a back button) is the same
# reading, not another one; it also spares the database a write per page view.
SAME_READING_SECONDS = 600


def recently_counted_key(user, item) -> str:
    """The cache key that is present while `user`'s last opening of `item` still counts."""
    return f"reading:{user.pk}:{item}"


def record_reading(user, issue_id, article_id=None, *, item, counted=False):
    """Count one opening of an issue (or of an article in it); staff readings are not counted.

    `item` names the page; `counted` says the caller already found it counted recently.
    """
    if user.is_staff or counted:
        return
    if not cache.add(recently_counted_key(user, item), 1, timeout=SAME_READING_SECONDS):
        return
    now = timezone.now()
    rows = Reading.objects.filter(user=user, issue_id=issue_id, article_id=article_id)
    if rows.update(last_read_at=now, count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            Reading.objects.create(
                user=user,
                issue_id=issue_id,
                article_id=article_id,
                first_read_at=now,
                last_read_at=now,
            )
    except IntegrityError:
        # Another request of the same reader created the row first.
        rows.update(last_read_at=now, count=F("count") + 1)
