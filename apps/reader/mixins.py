from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone

from apps.accounts.access import may_read, subscription_of


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
