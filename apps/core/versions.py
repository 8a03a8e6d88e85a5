"""Version counters kept in the cache: a key stays valid while its counter has not moved."""

import time

from django.core.cache import cache


def version(key) -> int:
    """Return the current value of the counter under `key`.

    A counter that is missing (never set, or evicted) starts a new series from the clock, so
    its values never meet those of an earlier series: whatever was stored under an old
    version stays unused.
    """
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return value


def bump(key) -> None:
    """Move the counter under `key` on, so everything stored under it is stale."""
    try:
        cache.incr(key)
    except ValueError:  # missing: start a new series
        cache.set(key, time.time_ns(), timeout=None)
