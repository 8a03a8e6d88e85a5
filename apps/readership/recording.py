"""Who read what: one row per subscriber and issue or article, with first, last and count, and
the channel whose link first brought the reader there (apps.core.via)."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from apps.core.via import Source, Via
from apps.readership.models import Reading

# Opening the same page again within this many seconds (a reload, a back button) is the same
# reading, not another one; it also spares the database a write per page view.
SAME_READING_SECONDS = 600


def recently_counted_key(user, item) -> str:
    """The cache key that is present while `user`'s last opening of `item` still counts."""
    return f"reading:{user.pk}:{item}"


def record_reading(user, issue_id, article_id=None, *, item, counted=False, via: Via | None = None):
    """Count one opening of an issue (or of an article in it); staff readings are not counted.

    `item` names the page; `counted` says the caller already found it counted recently. `via`
    is the channel whose link was opened, already checked to be a link to this issue; the
    reading keeps the first one (a reading only says where the reader came from).
    """
    if user.is_staff or counted:
        return
    if not cache.add(recently_counted_key(user, item), 1, timeout=SAME_READING_SECONDS):
        return
    now = timezone.now()
    channel = via.channel if via else Source.DIRECT
    push_channel_id = via.push_channel_id if via else None
    rows = Reading.objects.filter(user=user, issue_id=issue_id, article_id=article_id)
    changes = {"last_read_at": now, "count": F("count") + 1}
    if channel:
        # Both read the row as it was: only a reading without a channel takes this one.
        changes["channel"] = Case(
            When(channel=Source.DIRECT, then=Value(channel)),
            default=F("channel"),
            output_field=Reading._meta.get_field("channel"),
        )
    if push_channel_id is not None:  # a reading without a channel has no push channel
        changes["push_channel_id"] = Case(
            When(channel=Source.DIRECT, then=Value(push_channel_id)),
            default=F("push_channel_id"),
            output_field=Reading._meta.get_field("push_channel_id"),
        )
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            Reading.objects.create(
                user=user,
                issue_id=issue_id,
                article_id=article_id,
                first_read_at=now,
                last_read_at=now,
                channel=channel,
                push_channel_id=push_channel_id,
            )
    except IntegrityError:
        # Another request of the same reader created the row first.
        rows.update(**changes)
