import re

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import may_read, needs_second_factor, subscription_of
from apps.push import wecom_login


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


# A reader page's redirects repeat its query string: to the page's canonical address
# (page_cache), and to the login page or the second factor in `next`, escaped once more (a byte
# may become five). A proxy in front refuses a response whose headers outgrow its buffer (nginx
# answered 502), so an address longer than any real one is refused here, before any redirect,
# with the site's 400 page, whatever the proxy. Real ones are far shorter: the search box takes
# 200 characters (the search uses 100); such a search in Chinese with every filter is about
# 2,000 characters of query string once URL-encoded.
MAX_PARAMETER_LENGTH = 500  # characters, decoded, of one name or value
MAX_QUERY_STRING_LENGTH = 3000  # characters as sent (URL-encoded)


def refuse_overlong_query(request) -> None:
    """Raise BadRequest for a query string, or a parameter in it, longer than a real one."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING_LENGTH:
        raise BadRequest("query string too long")
    for name, values in request.GET.lists():
        if any(len(text) > MAX_PARAMETER_LENGTH for text in (name, *values)):
            raise BadRequest("query parameter too long")


class SubscriberRequiredMixin(LoginRequiredMixin):
    """Send anonymous visitors to the login page, staff who signed in with a password alone
    to the second factor, and lapsed subscribers to an explanation."""

    def dispatch(self, request, *args, **kwargs):
        refuse_overlong_query(request)
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

    def handle_no_permission(self):
        # In WeCom's own browser, with the institute's WeCom app set up, "please log in" is a
        # round trip through WeCom's OAuth, which signs a bound reader in without a password
        # (apps.push.wecom_login). Anywhere else, the login page as always.
        if not self.request.user.is_authenticated and wecom_login.tap_applies(self.request):
            return wecom_login.start_redirect(self.request)
        return super().handle_no_permission()
