"""An issue's cards for the work groups: queued with the issue going live, each sent once.

- `queue_issue_push` runs in the transaction that records an issue going live
  (apps.notifications.live), beside the e-mail's queue: one PushDelivery per channel that gets
  the issue, so none is skipped if the process dies after the commit.
- `send_issue_push` (a task on its own queue, `push`, so a slow robot never holds up the mail)
  claims the issue's due rows with a conditional update, posts the cards at once from a few
  threads (a slow robot holds up no other), and records each answer in the task's thread.
- `resume` (every minute, apps.notifications.schedule) sends what is due again: retries whose
  time has come, and rows a dead worker left "sending".

Exactly once. A group robot takes no idempotency key, so a card whose request left and whose
answer never came (the worker was killed waiting) may or may not be in the group. Such a row is
never sent again by itself: it is marked failed, saying so, and the reviewer's 重新推送 sends it
after a look at the group. A row claimed but not yet posted (`posted_at` empty) is simply
queued again. Each robot gets at most PER_MINUTE cards a minute (the vendors' limit is 20).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_tasks import task

from apps.articles.models import Article
from apps.core import via
from apps.core.handover import hand_over
from apps.issues.models import Issue
from apps.push import vendors
from apps.push.models import Channel, PushDelivery

logger = logging.getLogger(__name__)
Status = PushDelivery.Status

PER_MINUTE = 20
# Waits after failed attempts 1, 2, 3 and 4; the fifth failure is final.
DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=60),
)
MAX_ATTEMPTS = len(DELAYS) + 1
# A row "sending" for longer belongs to a worker that died: a request takes at most TIMEOUT.
STALE_AFTER = timedelta(minutes=2)
TIMEOUT = 10  # seconds per card
THREADS = 8
UNKNOWN_OUTCOME = (
    "推送中断：请求已发出，但未收到机器人的答复，消息可能已送达。"
    "请在群内确认，未收到时再点「重新推送」。"
)
WITHDRAWN = "期刊已撤回，未推送。"
# Each title of a card is cut to this many characters.
TITLE_CHARS = 60


def heading_of(issue) -> str:
    heading = f"《{settings.PUBLICATION_NAME}》{issue.year}年第{issue.number}期"
    if issue.total_number:
        heading += f"（总第{issue.total_number}期）"
    return heading


def channels_for(issue) -> list[Channel]:
    """The active channels that get `issue`: all of them, except those narrowed to
    industries the issue has no article in (that their members may read)."""
    chosen = []
    for channel in Channel.objects.filter(active=True).prefetch_related("industries"):
        industries = list(channel.industries.all())
        if industries and not _articles(issue, channel).filter(industries__in=industries).exists():
            continue
        chosen.append(channel)
    return chosen


def card_for(issue, channel: Channel) -> vendors.Card:
    """What `channel`'s group sees of `issue`: its name, the titles every member may read
    (none in a leaders' group, whose card names the issue alone), and the link to it."""
    titles: list[str] = []
    if channel.audience != Channel.Audience.LEADERSHIP:
        articles = _articles(issue, channel)
        industries = list(channel.industries.all())
        if industries:
            articles = articles.filter(industries__in=industries).distinct()
        titles = [
            title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
            for title in articles.for_contents().values_list("title", flat=True)
        ]
    # The link says which group brought its readers (apps.core.via): the group is the
    # recipient, so each channel's page can count its readers per issue.
    url = via.link(
        f"{settings.SITE_URL}{issue.get_absolute_url()}",
        via.make(channel.kind, issue.pk, channel.pk),
    )
    return vendors.Card(heading=heading_of(issue), titles=tuple(titles), url=url, button="阅读本期")


def _articles(issue, channel: Channel):
    # A group's members are not governed here: what its card may name is what every reader
    # of its audience may read, and a leaders' group is told of leadership-only articles only
    # by the issue's name.
    leadership = channel.audience == Channel.Audience.LEADERSHIP
    return Article.objects.filter(issue=issue).visible_to_audience(leadership=leadership)


def queue_issue_push(issue) -> None:
    """Queue `issue`'s card for every channel that gets it; call it in the transaction that
    records the issue going live. Safe to call again: no channel gets a second row."""
    now = timezone.now()
    PushDelivery.objects.bulk_create(
        [PushDelivery(issue=issue, channel=c, next_attempt_at=now) for c in channels_for(issue)],
        ignore_conflicts=True,
    )
    # An issue withdrawn and published again sends what its withdrawal stopped.
    PushDelivery.objects.filter(issue=issue, status=Status.CANCELLED).update(
        status=Status.QUEUED, next_attempt_at=now, last_error="", attempts=0
    )
    if PushDelivery.objects.filter(issue=issue, status=Status.QUEUED).exists():
        hand_over(send_issue_push, issue.pk)


def cancel_pending(issue) -> int:
    """Stop the cards not sent yet (the issue was withdrawn). Returns how many."""
    return PushDelivery.objects.filter(
        issue=issue, status__in=[Status.QUEUED, Status.SENDING]
    ).update(status=Status.CANCELLED, last_error=WITHDRAWN)


def retry_failed(issue) -> int:
    """Send the failed cards again, with fresh attempts (the reviewer's 重新推送)."""
    count = PushDelivery.objects.filter(issue=issue, status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), posted_at=None
    )
    if count:
        hand_over(send_issue_push, issue.pk)
    return count


def resume(now=None) -> None:
    """Send again what is due: retries whose time has come, rows a dead worker left."""
    now = now or timezone.now()
    stale = PushDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_AFTER)
    stale.filter(posted_at__isnull=False).update(status=Status.FAILED, last_error=UNKNOWN_OUTCOME)
    stale.update(status=Status.QUEUED)
    busy = PushDelivery.objects.filter(status=Status.SENDING).values("issue_id")
    due = (
        PushDelivery.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .exclude(issue_id__in=busy)
        .values_list("issue_id", flat=True)
    )
    for issue_id in due.distinct().order_by():
        hand_over(send_issue_push, issue_id)


def records(issue) -> list[PushDelivery]:
    """The issue's cards, one per channel, for its admin page."""
    return list(PushDelivery.objects.filter(issue=issue).select_related("channel").order_by("pk"))


@task(queue_name="push")
def send_issue_push(issue_id: int) -> dict:
    return send_due(issue_id)


def send_due(issue_id: int, now=None) -> dict:
    """Send the issue's due cards; how many were sent, failed and left for later."""
    now = now or timezone.now()
    issue = Issue.objects.filter(pk=issue_id).filter(Issue.live_q()).first()
    if issue is None:  # withdrawn (or deleted) since it was queued
        cancel_pending(Issue(pk=issue_id))
        return {"sent": 0, "failed": 0, "later": 0}
    claimed = _claim(issue, now)
    # The moment before the requests leave: a withdrawal since the claim has cancelled rows,
    # which are not posted; those still "sending" are marked as on their way.
    posting = [row for row in claimed if _mark_posted(row, now)]
    cards = {row.channel_id: card_for(issue, row.channel) for row in posting}
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(lambda row: _post(row, cards[row.channel_id], now), posting))
    figures = {"sent": 0, "failed": 0, "later": 0}
    for row, outcome in zip(posting, outcomes, strict=True):
        figures[_record(row, outcome, now)] += 1
    return figures


def _claim(issue, now) -> list[PushDelivery]:
    due = PushDelivery.objects.filter(issue=issue, status=Status.QUEUED, next_attempt_at__lte=now)
    claimed = []
    for row in due.select_related("channel"):
        wait = _rate_wait(row.channel_id, now)
        if wait is not None:
            PushDelivery.objects.filter(pk=row.pk, status=Status.QUEUED).update(
                next_attempt_at=now + wait
            )
            continue
        taken = PushDelivery.objects.filter(pk=row.pk, status=Status.QUEUED).update(
            status=Status.SENDING,
            claimed_at=now,
            posted_at=None,
            attempts=models.F("attempts") + 1,
        )
        if taken:
            row.attempts += 1
            claimed.append(row)
    return claimed


def _rate_wait(channel_id: int, now) -> timedelta | None:
    """How long before the channel's robot may take another card, or None: now."""
    recent = list(
        PushDelivery.objects.filter(
            channel_id=channel_id, sent_at__gt=now - timedelta(minutes=1)
        ).values_list("sent_at", flat=True)
    )
    if len(recent) < PER_MINUTE:
        return None
    return min(recent) + timedelta(minutes=1) - now


def _mark_posted(row: PushDelivery, now) -> bool:
    return bool(PushDelivery.objects.filter(pk=row.pk, status=Status.SENDING).update(posted_at=now))


def _post(row: PushDelivery, card: vendors.Card, now) -> vendors.Outcome:
    channel = row.channel
    if settings.PUSH_CONSOLE:
        return vendors.print_card(channel.kind, channel.name, card)
    return vendors.send(
        channel.kind, channel.webhook_url, channel.secret, card, now=now, timeout=TIMEOUT
    )


def _record(row: PushDelivery, outcome: vendors.Outcome, now) -> str:
    """Store the answer on the row; which figure it counts in."""
    mine = PushDelivery.objects.filter(pk=row.pk)
    code = str(outcome.code or "")[:40]
    if outcome.ok:
        # Sent, even if the issue was withdrawn meanwhile: the group has the card.
        mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="", code=code)
        return "sent"
    logger.warning(
        "push to channel %s failed (attempt %s): %s", row.channel_id, row.attempts, outcome.message
    )
    mine = mine.filter(status=Status.SENDING)  # a withdrawal stays a withdrawal
    if outcome.retry and row.attempts < MAX_ATTEMPTS:
        wait = DELAYS[row.attempts - 1]
        mine.update(
            status=Status.QUEUED,
            next_attempt_at=now + wait,
            posted_at=None,
            last_error=outcome.message,
            code=code,
        )
        return "later"
    mine.update(status=Status.FAILED, last_error=outcome.message, code=code)
    return "failed"
