"""Django's Redis cache with one client per pool, and version counters kept in the cache.

Building a redis.Redis object costs more than the GET it is built for (it sets up its
response callbacks every time); the pool behind it was already shared.
"""

import time

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


def version(key) -> int:
    """Return the current value of a version counter kept in the cache under `key`.

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
    """Move the version counter under `key` on, so everything stored under it is stale."""
    try:
        cache.incr(key)
    except ValueError:  # missing: start a new series
        cache.set(key, time.time_ns(), timeout=None)
