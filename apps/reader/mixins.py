import re

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import may_read, needs_second_factor, subscription_of


def contact_details():
    """Return whom a lapsed subscriber asks, with the links a phone opens them with."""
    phone = settings.SUBSCRIPTION_CONTACT_PHONE.strip()
    email = settings.SUBSCRIPTION_CONTACT_EMAIL.strip()
    return {
        "contact_name": settings.SUBSCRIPTION_CONTACT_NAME.strip(),
        "contact_phone": phone,
        # A dialler wants digits (and a leading +), not the spaces and dashes people write.
        "contact_phone_href": "tel:" + re.sub(r"[^\d+]", "", phone) if phone else "",
        "contact_email": email,
    }


class SubscriberRequiredMixin(LoginRequiredMixin):
    """Send anonymous visitors to the login page, staff who signed in with a password alone
    to the second factor, and lapsed subscribers to an explanation."""

    def dispatch(self, request, *args, **kwargs):
        if needs_second_factor(request.user) and not may_read(request.user):
            return redirect_to_login(
                request.get_full_path(), reverse("admin:login"), REDIRECT_FIELD_NAME
            )
        if request.user.is_authenticated and not may_read(request.user):
            context = {
                "subscription": subscription_of(request.user),
                "today": timezone.localdate(),
                "contact": settings.SUBSCRIPTION_CONTACT,
                **contact_details(),
            }
            return render(request, "subscribers/cannot_read.html", context, status=403)
        return super().dispatch(request, *args, **kwargs)
