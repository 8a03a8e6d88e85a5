"""The signed-in user, with their subscription, kept in the cache between requests.

Every reader page needs them. Any save or delete of a user or a subscription forgets the
cached copy (the signal receivers below, connected in AccountsConfig.ready), and so does any
bulk update of users (call `forget` after it), so a suspension or a changed subscription is
seen on the very next request.

Forgetting bumps a per-user version, and a copy counts only if it was read from the database
at the current version: a request that read the row just before a change cannot put a stale
copy back.
"""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

from config.cache import bump, version

TIMEOUT = 10 * 60


def _keys(user_id):
    return f"auth-user:{user_id}", f"auth-user-version:{user_id}"


def load(user_id):
    """Return the user with `subscriber` loaded, or None."""
    copy_key, version_key = _keys(user_id)
    found = cache.get_many([copy_key, version_key])  # one round trip for both
    current = found.get(version_key) or version(version_key)
    copy = found.get(copy_key)
    if copy is not None and copy[0] == current:
        return copy[1]
    user_model = get_user_model()
    user = user_model._default_manager.select_related("subscriber").filter(pk=user_id).first()
    if user is not None:
        cache.set(copy_key, (current, user), TIMEOUT)
    return user


def forget(*user_ids):
    """Invalidate the cached copies now and again when the current transaction commits."""
    _bump(user_ids)
    transaction.on_commit(lambda: _bump(user_ids))


def _bump(user_ids):
    for user_id in user_ids:
        bump(_keys(user_id)[1])


def forget_user(sender, instance, **kwargs):
    forget(instance.pk)


def forget_subscriber(sender, instance, **kwargs):
    forget(instance.user_id)
