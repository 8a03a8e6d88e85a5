"""Issues that became visible: recorded once, numbered, and their e-mail and work-group cards
queued, together."""

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.issues.models import Issue
from apps.notifications.deliveries import queue_issue_mail
from apps.push.deliveries import queue_issue_push

# Two issues going live at the same moment can reach for the same total number: the loser
# tries again with the next one.
NUMBERING_ATTEMPTS = 3


def mark_live() -> list[int]:
    """Record the time each issue became visible to readers, give it the next total number
    unless it has one, and queue its e-mail and its cards for the work groups, once.

    Runs after an issue is published now, and every minute for scheduled issues whose time
    came (schedule.py), so total numbers follow the order in which issues go live. Idempotent
    and safe to run concurrently: the conditional update lets only one caller claim an issue,
    and the claim, the number and the queued e-mails commit together, so an issue is never
    live without its mail queued. Returns the ids claimed by this call.
    """
    claimed = []
    due = Issue.objects.live().filter(went_live_at__isnull=True)
    for pk in due.values_list("pk", flat=True):
        for attempt in range(1, NUMBERING_ATTEMPTS + 1):
            try:
                if _claim(pk):
                    claimed.append(pk)
                break
            except IntegrityError:
                if attempt == NUMBERING_ATTEMPTS:
                    raise
    return claimed


def _claim(pk) -> bool:
    with transaction.atomic():
        now = timezone.now()
        # Still live: it may have been withdrawn since the list of due issues was read.
        claim = Issue.objects.live().filter(pk=pk, went_live_at__isnull=True)
        if not claim.update(went_live_at=now):
            return False
        issue = Issue.objects.get(pk=pk)
        if issue.total_number is None:
            highest = Issue.objects.aggregate(models.Max("total_number"))["total_number__max"]
            issue.total_number = (highest or 0) + 1
            issue.save(update_fields=["total_number"])
        queue_issue_mail(issue)
        queue_issue_push(issue)
    return True
