from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameEmailOrMobileBackend(ModelBackend):
    """Authenticate with a username, an e-mail address or a mobile number."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = self._find_user(username.strip())
        if user is None:
            # Run the hasher anyway so an unknown login costs as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Read on every request, never from a cache: a suspension, an expiry or a change of
        # kind made anywhere (the admin, an import, a shell in another process) counts on the
        # reader's next request. The subscription comes in the same query; every reader page
        # asks about it.
        user_model = get_user_model()
        user = user_model._default_manager.select_related("subscriber").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _find_user(login):
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
