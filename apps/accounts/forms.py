from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from apps.accounts.backends import UsernameEmailOrMobileBackend


class LoginForm(AuthenticationForm):
    """The reader login: a suspended account hears why, but only after the right password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "suspended": "您的账号已停用，暂时不能登录阅读。%(contact)s",
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login" and self._suspended_with_right_password():
                raise ValidationError(
                    self.error_messages["suspended"],
                    code="suspended",
                    params={"contact": settings.SUBSCRIPTION_CONTACT},
                ) from error
            raise

    def _suspended_with_right_password(self) -> bool:
        # Saying "suspended" to someone without the password would tell them the account
        # exists; with the right password it tells the owner what they need to know.
        login = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password") or ""
        user = UsernameEmailOrMobileBackend.find_user(login) if login else None
        return user is not None and not user.is_active and user.check_password(password)
