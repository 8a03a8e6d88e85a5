"""Who may read the bulletin, and which version of a page they get.

A pure rule over the signed-in user and their subscription (`user.subscriber`, loaded with the
user from the database on every request, apps.accounts.backends): no queries and no views of
its own. The querysets' `visible_to`, the page cache, the media view and the PDF all ask here.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db import models


class Audience(models.TextChoices):
    """The versions of a reader page: what staff, leaders and everyone else see differ."""

    STAFF = "staff", "工作人员"
    LEADERSHIP = "leadership", "领导"
    ALL = "all", "其他订户"


def subscription_of(user):
    """Return the user's Subscriber, or None for staff accounts and plain users."""
    try:
        return user.subscriber
    except (AttributeError, ObjectDoesNotExist):
        return None


def may_read(user) -> bool:
    """Return whether `user` may read published issues right now.

    Staff read everything (preview and support). A subscriber reads while the account is
    active and today lies in the subscription period.
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
    return subscription is not None and subscription.is_leadership


def audience(user) -> Audience:
    """Which version of a page `user` gets: staff (with their link to the back office),
    leaders (with leadership-only articles), or everyone else."""
    if user.is_staff:
        return Audience.STAFF
    return Audience.LEADERSHIP if sees_leadership_content(user) else Audience.ALL
