"""The issue's e-mail to its subscribers: queued with the issue going live, each sent once.

- `queue_issue_mail` runs in the transaction that records an issue going live (`live.py`):
  one `Delivery` row per eligible subscriber, so nobody is skipped even if the process dies
  right after the commit.
- `send_issue_mail` (a task) claims due rows in small batches with a conditional update, so
  two workers never claim the same row, and sends each over one SMTP connection per batch.
  A failure is recorded on that row alone, tried again later (retries.py), and never stops
  the others.
- The periodic jobs (`schedule.py`) call `resume` every minute: rows whose retry time has come
  and rows left "sending" by a worker that died (its heartbeat stopped) are sent again.
- A lost database connection pauses the sending, never ends it (reconnect.py): what a worker
  claimed, checked and sent is recorded once the database is back, so each message goes once.

Each message carries a Message-ID made from the issue and the subscriber: if a worker dies
between the server's acceptance and the row's update, the one message that may be sent twice
has the same Message-ID, which mail clients show once.
"""

import logging
import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import models, transaction
from django.utils import timezone
from django_tasks import task

from apps.accounts.access import may_read
from apps.core.handover import hand_over
from apps.issues.models import Issue
from apps.notifications import heartbeat, retries
from apps.notifications.issue_mail import IssueMail
from apps.notifications.models import Delivery
from apps.notifications.reconnect import survives_outages
from apps.subscribers.selectors import current_subscribers

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
# A row "sending" for longer than this belongs to a worker that died, even where no heartbeat
# says so (a process that is not a worker, such as a management command, sent it).
STALE_AFTER = timedelta(minutes=15)
Status = Delivery.Status


def recipients():
    """Subscribers who get an issue's e-mail: may read today, asked for it, have an address."""
    return (
        current_subscribers()
        .filter(notify_by_email=True, user__is_staff=False)
        .exclude(user__email="")
    )


def queue_issue_mail(issue) -> None:
    """Queue the issue's e-mail for every eligible subscriber; call it in the transaction
    that records the issue going live. Safe to call again: nobody gets a second row."""
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(issue=issue, subscriber_id=pk, next_attempt_at=now)
            for pk in recipients().values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    # An issue withdrawn and published again sends what its withdrawal stopped.
    Delivery.objects.filter(issue=issue, status=Status.CANCELLED).update(
        status=Status.QUEUED, next_attempt_at=now, last_error=""
    )
    _send_after_commit(issue.pk)


def cancel_pending(issue) -> int:
    """Stop what has not gone out yet (the issue was withdrawn), rows a worker is sending
    included: it checks each row before its message. Returns how many."""
    return Delivery.objects.filter(issue=issue, status__in=[Status.QUEUED, Status.SENDING]).update(
        status=Status.CANCELLED, claimed_by="", last_error="期刊已撤回，未发送。"
    )


def retry_failed(issue) -> int:
    """Send the failed ones again, with fresh attempts (the reviewer's button)."""
    count = Delivery.objects.filter(issue=issue, status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        _send_after_commit(issue.pk)
    return count


def resume() -> None:
    """Send again what is due: retries whose time has come, rows a dead worker left behind.

    A row claimed by a worker whose heartbeat stopped has no live worker; neither has one that
    a worker, marking each row as it reaches it (`_still_mine`), left "sending" for longer than
    STALE_AFTER. It goes back to the queue, or to failed once it has used its attempts (a
    message that brings its worker down must not do so forever). A row that may have reached
    the mail server before its worker died is sent again with the same Message-ID. An issue a
    worker is sending now gets no second task: that worker sends what is due.
    """
    now = timezone.now()
    stale = Delivery.objects.filter(status=Status.SENDING).filter(
        models.Q(claimed_at__lt=now - STALE_AFTER)
        | models.Q(claimed_worker__in=heartbeat.dead_workers())
    )
    stale.filter(attempts__gte=retries.MAX_ATTEMPTS).update(
        status=Status.FAILED, claimed_by="", last_error="发送中断，已达最大尝试次数。"
    )
    stale.update(status=Status.QUEUED, claimed_by="")
    busy = Delivery.objects.filter(status=Status.SENDING).values("issue_id")
    due = _due(now).exclude(issue_id__in=busy).values_list("issue_id", flat=True)
    for issue_id in due.distinct().order_by():
        _send_after_commit(issue_id)


def counts(issue) -> dict[str, int]:
    """How many of the issue's e-mails are waiting, sent, failed and not sent (withdrawn or
    the reader left): the issue's admin page."""
    found = dict(
        Delivery.objects.filter(issue=issue)
        .values_list("status")
        .annotate(models.Count("pk"))
        .order_by()
    )
    return {
        "待发送": found.get(Status.QUEUED, 0) + found.get(Status.SENDING, 0),
        "已发送": found.get(Status.SENT, 0),
        "发送失败": found.get(Status.FAILED, 0),
        "未发送": found.get(Status.CANCELLED, 0),
    }


def failures(issue, limit=100):
    """The failed recipients with their errors, for the issue's admin page."""
    return (
        Delivery.objects.filter(issue=issue, status=Status.FAILED)
        .select_related("subscriber__user")
        .order_by("subscriber__organization", "pk")[:limit]
    )


@task()
def send_issue_mail(issue_id: int) -> int:
    """Send the issue's due e-mails, batch by batch, until none is left. Returns how many
    went out."""
    issue = Issue.objects.filter(pk=issue_id).first()
    if issue is None:
        return 0
    mail = IssueMail(issue)
    sent = 0
    while batch := _claim(issue_id):
        sent += _send_batch(mail, batch)
    # Failed ones wait for their retry time: one task then, whatever their number.
    retry_at = Delivery.objects.filter(issue_id=issue_id, status=Status.QUEUED).aggregate(
        models.Min("next_attempt_at")
    )["next_attempt_at__min"]
    if retry_at is not None and retry_at > timezone.now():
        send_issue_mail.using(run_after=retry_at).enqueue(issue_id)
    return sent


def _due(now):
    return Delivery.objects.filter(
        Issue.live_q("issue__"), status=Status.QUEUED, next_attempt_at__lte=now
    )


def _claim(issue_id) -> list[Delivery]:
    """Take up to BATCH_SIZE due rows for this worker alone, with what their messages show.

    Two steps, each waiting out a lost connection by itself: a claim that was made is read
    back rather than made again, which would leave its rows "sending" with nobody sending.
    """
    return _claimed(_take_batch(issue_id))


@survives_outages
def _take_batch(issue_id) -> str:
    """Mark up to BATCH_SIZE due rows as this worker's; return the batch's token.

    The update's condition is evaluated again on each row under its lock (PostgreSQL) or
    under the database's write lock (SQLite), so a row another worker took is not taken.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    due = _due(now).filter(issue_id=issue_id)
    with transaction.atomic():
        # Rows another worker is claiming are skipped rather than waited for (PostgreSQL).
        candidates = due.select_for_update(skip_locked=True, of=("self",)).order_by("pk")
        pks = list(candidates.values_list("pk", flat=True)[:BATCH_SIZE])
        due.filter(pk__in=pks).update(
            status=Status.SENDING,
            claimed_by=token,
            claimed_worker=heartbeat.this_worker(),
            claimed_at=now,
            attempts=models.F("attempts") + 1,
        )
    return token


@survives_outages
def _claimed(token) -> list[Delivery]:
    """The rows of the batch `token`, with what their messages show."""
    return list(
        Delivery.objects.filter(claimed_by=token, status=Status.SENDING)
        .select_related("subscriber__user")
        .prefetch_related("subscriber__industries")
        .annotate(unsubscribes_used=models.Count("subscriber__unsubscribes"))
        .order_by("pk")
    )


def _send_batch(mail, batch) -> int:
    connection = get_connection(settings.EMAIL_TRANSPORT, fail_silently=False)
    sent = 0
    try:
        for delivery in batch:
            sent += _send_one(mail, delivery, connection)
    finally:
        _close_quietly(connection)
    return sent


def _send_one(mail, delivery, connection) -> int:
    if not _still_mine(delivery):
        # Withdrawn, or taken over as stale, since the batch was claimed.
        return 0
    user = delivery.subscriber.user
    if user.is_staff or not (may_read(user) and delivery.subscriber.notify_by_email and user.email):
        # Suspended, expired, unsubscribed or made staff since the issue went live.
        _finish(
            delivery, Status.CANCELLED, error="订户已停用、已到期、已退订或已转为工作人员，未发送。"
        )
        return 0
    try:
        message = mail.message_for(delivery.subscriber, delivery.unsubscribes_used)
        # Opened here, the connection serves the rest of the batch: send_messages alone opens
        # and closes one per message. open() does nothing while it is open, and after a
        # failure closed it, opens it anew.
        connection.open()
        connection.send_messages([message])
    except (smtplib.SMTPException, OSError) as error:
        # The connection may be broken now; the next message opens a new one.
        _close_quietly(connection)
        _failed(delivery, error)
        return 0
    except Exception as error:  # one bad row must not stop the others
        # Not the server's doing (an address no server accepts, say): trying again won't help.
        logger.exception("issue mail %s could not be built or sent", delivery.pk)
        _finish(delivery, Status.FAILED, error=f"无法生成或发送这封邮件：{type(error).__name__}")
        return 0
    _finish(delivery, Status.SENT, email=user.email)
    return 1


@survives_outages
def _still_mine(delivery) -> bool:
    """Whether the row is still this worker's to send and its issue still live; marks it
    as in progress now, so that a long batch is not taken for one a dead worker left."""
    return bool(
        Delivery.objects.filter(
            Issue.live_q("issue__"),
            pk=delivery.pk,
            claimed_by=delivery.claimed_by,
            status=Status.SENDING,
        ).update(claimed_at=timezone.now())
    )


def _failed(delivery, error):
    wait = None if retries.is_permanent(error) else retries.delay_after(delivery.attempts)
    description = retries.describe(error)
    logger.warning("issue mail %s failed (try %d): %s", delivery.pk, delivery.attempts, description)
    if wait is None:
        _finish(delivery, Status.FAILED, error=description)
        return
    _finish(delivery, Status.QUEUED, error=description, next_attempt_at=timezone.now() + wait)


@survives_outages
def _finish(delivery, status, *, error="", email="", next_attempt_at=None):
    changes = {"status": status, "last_error": error, "claimed_by": "", "claimed_worker": ""}
    if status == Status.SENT:
        changes.update(sent_at=timezone.now(), email=email)
    if next_attempt_at is not None:
        changes["next_attempt_at"] = next_attempt_at
    # Only the claimant writes the outcome: a row reclaimed as stale is someone else's now.
    Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by).update(**changes)


def _send_after_commit(issue_id):
    hand_over(send_issue_mail, issue_id)


def _close_quietly(connection):
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        pass
