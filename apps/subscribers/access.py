"""Who may read the bulletin: the one place reader views and querysets ask."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import render
from django.utils import timezone


def subscription_of(user):
    """Return the user's Subscriber, or None for staff accounts and plain users."""
    try:
        return user.subscriber
    except (AttributeError, ObjectDoesNotExist):
        return None


def may_read(user) -> bool:
    """Return whether `user` may read published issues right now.

    Staff read everything (preview and support). A subscriber reads while the account is
    active and today lies in the subscription period; asked on every request, so a suspension
    or an expiry takes effect on the next page.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    subscription = subscription_of(user)
    return subscription is not None and subscription.is_current()


def sees_leadership_content(user) -> bool:
    """Return whether leadership-only articles exist for `user`."""
    if user.is_staff:
        return True
    subscription = subscription_of(user)
    return subscription is not None and subscription.kind == subscription.Kind.LEADERSHIP


def audience(user) -> str:
    """Which version of a page `user` gets: staff (with their link to the back office),
    leaders (with leadership-only articles), or everyone else."""
    if user.is_staff:
        return "staff"
    return "leadership" if sees_leadership_content(user) else "all"


class SubscriberRequiredMixin(LoginRequiredMixin):
    """Send anonymous visitors to the login page and lapsed subscribers to an explanation."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_read(request.user):
            context = {
                "subscription": subscription_of(request.user),
                "today": timezone.localdate(),
                "contact": settings.SUBSCRIPTION_CONTACT,
            }
            return render(request, "subscribers/cannot_read.html", context, status=403)
        return super().dispatch(request, *args, **kwargs)
