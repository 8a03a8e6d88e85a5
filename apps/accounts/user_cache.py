"""The signed-in user, with their subscription, kept in the cache between requests.

Every reader page needs them. Any save or delete of a user or a subscription forgets the
cached copy (the signal receivers below, connected in AccountsConfig.ready), and so does
any bulk update of users (call `forget` after it), so a suspension or a changed
subscription is seen on the very next request.
"""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

TIMEOUT = 10 * 60


def _key(user_id):
    return f"auth-user:{user_id}"


def load(user_id):
    """Return the user with `subscriber` loaded, or None."""
    user = cache.get(_key(user_id))
    if user is None:
        user_model = get_user_model()
        user = user_model._default_manager.select_related("subscriber").filter(pk=user_id).first()
        if user is None:
            return None
        cache.set(_key(user_id), user, TIMEOUT)
    return user


def forget(*user_ids):
    """Drop the cached copies now, and again when the current transaction commits: a request
    that read the old row before the commit may have put it back in between."""
    keys = [_key(user_id) for user_id in user_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_user(sender, instance, **kwargs):
    forget(instance.pk)


def forget_subscriber(sender, instance, **kwargs):
    forget(instance.user_id)
