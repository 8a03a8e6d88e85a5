"""Limits on how often something may happen, counted in the cache."""

from django.core.cache import cache

HOUR = 60 * 60


def allow(scope: str, key: str, *, limit: int, window: int = HOUR) -> bool:
    """Count one more event for (`scope`, `key`); return whether it is within `limit`.

    The count starts with the first event and is forgotten `window` seconds later.
    """
    counter = f"throttle:{scope}:{key}"
    cache.add(counter, 0, timeout=window)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.set(counter, 1, timeout=window)
        count = 1
    return count <= limit
