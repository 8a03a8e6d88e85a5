"""Issues that became visible: recorded once, and their e-mail queued in the same step."""

from django.db import transaction
from django.utils import timezone

from apps.issues.models import Issue
from apps.notifications.deliveries import queue_issue_mail


def mark_live() -> list[int]:
    """Record the time each issue became visible to readers and queue its e-mail, once.

    Runs after an issue is published now, and every minute for scheduled issues whose time
    came (schedule.py). Idempotent and safe to run concurrently: the conditional update lets
    only one caller claim an issue, and the claim and the queued e-mails commit together, so
    an issue is never live without its mail queued. Returns the ids claimed by this call.
    """
    now = timezone.now()
    claimed = []
    due = Issue.objects.live().filter(went_live_at__isnull=True)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if Issue.objects.filter(pk=pk, went_live_at__isnull=True).update(went_live_at=now):
                queue_issue_mail(Issue.objects.get(pk=pk))
                claimed.append(pk)
    return claimed
