from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from apps.accounts import user_cache


class UsernameEmailOrMobileBackend(ModelBackend):
    """Authenticate with a username, an e-mail address or a mobile number."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = self.find_user(username.strip())
        if user is None:
            # Run the hasher anyway so an unknown login costs as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Every reader page asks about the subscription: both come from one copy, checked
        # against the database on every request (apps.accounts.user_cache).
        user = user_cache.load(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def find_user(login):
        candidates = list(
            get_user_model()
            ._default_manager.filter(
                Q(username=login)
                | (Q(email__iexact=login) & ~Q(email=""))
                | (Q(mobile=login) & ~Q(mobile=""))
            )
            .order_by("pk")[:3]
        )
        # A username is the most specific name; e-mail and mobile are unique by constraint.
        for user in candidates:
            if user.username == login:
                return user
        return candidates[0] if len(candidates) == 1 else None


def login_name(request, credentials) -> str:
    """The name login throttling counts failures under (settings.AXES_USERNAME_CALLABLE).

    A user may sign in by username, e-mail or mobile: all three count as the username, so
    switching between them gains an attacker nothing. Unknown names count as typed.
    """
    typed = ((credentials or {}).get("username") or "").strip()
    user = UsernameEmailOrMobileBackend.find_user(typed) if typed else None
    # Stored in a 255-character column (PostgreSQL refuses longer); no login name is longer
    # than a username (150).
    return user.get_username() if user is not None else typed.lower()[:150]
