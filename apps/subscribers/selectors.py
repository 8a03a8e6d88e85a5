"""Read-only questions about subscriptions."""

from datetime import timedelta

from django.utils import timezone

from apps.subscribers.models import Subscriber

EXPIRY_WARNING_DAYS = 30


def current_subscribers():
    """Subscribers who may read today (active account, today within the period)."""
    today = timezone.localdate()
    return Subscriber.objects.filter(
        user__is_active=True, valid_from__lte=today, valid_until__gte=today
    )


def expiring_soon():
    """Current subscriptions that end within the warning period."""
    today = timezone.localdate()
    return current_subscribers().filter(
        valid_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS)
    )
