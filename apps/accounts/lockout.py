"""The page a login locked out by django-axes gets (settings.AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def lockout_response(request, original_response=None, credentials=None):
    """Say in Chinese why the login is refused and from when it can be tried again."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cooloff.total_seconds() // 60),
        # The lock runs from the last failure; this one (refused) is the latest.
        "unlock_at": timezone.localtime() + cooloff,
    }
    return render(request, "registration/locked_out.html", context, status=429)
