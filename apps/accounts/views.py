from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect

from apps.accounts import throttle
from apps.accounts.client_ip import client_ip
from apps.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    """The reader login, which tells a reader whose session ended by suspension why."""

    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["suspended_notice"] = self._session_of_suspended_account() and (
            f"您的账号已停用，阅读已结束。{settings.SUBSCRIPTION_CONTACT}"
        )
        return context

    def _session_of_suspended_account(self) -> bool:
        # The session still names the account it belonged to; it is this browser's own.
        user_id = self.request.session.get(SESSION_KEY)
        if user_id is None or self.request.user.is_authenticated:
            return False
        return get_user_model().objects.filter(pk=user_id, is_active=False).exists()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with at most a few e-mails per address and per client an hour.

    Over the limit the page looks the same (it never says whether an address has an
    account), but no e-mail goes out.
    """

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        within_limits = throttle.allow(
            "reset-ip", client_ip(self.request), limit=settings.PASSWORD_RESET_LIMIT_PER_IP
        ) and throttle.allow("reset-email", email, limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL)
        if not within_limits:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
