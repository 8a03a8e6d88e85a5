"""Who may read the bulletin, and which version of a page they get.

A pure rule over the signed-in user and their subscription (`user.subscriber`, loaded with the
user from the database on every request, apps.accounts.backends): no queries and no views of
its own. The querysets' `visible_to`, the page cache, the media view and the PDF all ask here.
"""

from django.conf import settings
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


def acts_as_staff(user) -> bool:
    """Return whether `user` has staff's rights now: an active staff account whose session
    passed the second factor wherever one is required (settings.OTP_REQUIRED).

    A password alone (phished, or reset from a mailbox someone read) opens no more than the
    account's subscription would. Every rule of what staff may read or do asks here, so that
    no page, list, file or cache key can give staff rights to an unverified session.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if not settings.OTP_REQUIRED:
        return True
    # django_otp's OTPMiddleware gives the request's user `is_verified`; a user loaded
    # anywhere else (a task, the shell) has no verified session, so it is refused.
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def as_if_verified(user):
    """Return `user` as if signed in with the second factor, to decide what is sent to a person
    who is not making this request (a mention's mail, their calendar feed): they reach it only
    as they would reach the admin. Never for the request's own user."""
    user.is_verified = lambda: True
    return user


def needs_second_factor(user) -> bool:
    """Return whether `user` is staff who would read more once the second factor is passed."""
    return user.is_authenticated and user.is_active and user.is_staff and not acts_as_staff(user)


def may_read(user) -> bool:
    """Return whether `user` may read published issues right now.

    Staff read everything (preview and support). A subscriber reads while the account is
    active and today lies in the subscription period; so does a staff account whose session
    has not passed the second factor, if it has a subscription of its own.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if acts_as_staff(user):
        return True
    subscription = subscription_of(user)
    return subscription is not None and subscription.is_current()


def sees_leadership_content(user) -> bool:
    """Return whether leadership-only articles exist for `user`."""
    if acts_as_staff(user):
        return True
    subscription = subscription_of(user)
    return subscription is not None and subscription.is_leadership


def audience(user) -> Audience:
    """Which version of a page `user` gets: staff (with their link to the back office),
    leaders (with leadership-only articles), or everyone else."""
    if acts_as_staff(user):
        return Audience.STAFF
    return Audience.LEADERSHIP if sees_leadership_content(user) else Audience.ALL
