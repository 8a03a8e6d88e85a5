"""The signed-in user, with their subscription, kept in memory between requests.

Every reader page needs them. A copy is used only while the database's readers counter has not
moved since it was read (apps.core.revisions): any change to any user or subscription, made
through the admin, an import, `.update()` in a shell in another process or plain SQL, moves it,
so a suspension, an expiry or a change of kind counts on the reader's very next request. The
check is one indexed read; the time of a user's last login does not count as a change.
Because every use is checked, the copy need not be shared: each process keeps its own (the
"local" cache), which costs no round trip to Redis.
"""

from django.contrib.auth import get_user_model
from django.core.cache import caches

from apps.core.revisions import Counter, read

TIMEOUT = 10 * 60


def load(user_id):
    """Return the user with `subscriber` loaded, or None."""
    key = f"auth-user:{user_id}"
    # The counter before the row: a change committed in between makes the copy stale, never
    # a stale copy current.
    current = read(Counter.READERS)
    copy = caches["local"].get(key)
    if copy is not None and copy[0] == current:
        return copy[1]
    user_model = get_user_model()
    user = user_model._default_manager.select_related("subscriber").filter(pk=user_id).first()
    if user is not None:
        caches["local"].set(key, (current, user), TIMEOUT)
    return user
