"""Django's Redis cache, made to degrade instead of fail, and to reuse its clients.

Everything the project keeps in Redis can be rebuilt from the database: sessions are written
through to it, cached pages and users are checked against counters in it, throttling counts
may restart. So when Redis is unreachable, every read is a miss and every write a no-op, and
readers go on, from the database, more slowly. After an outage the first successful contact
empties the cache: a session ended (or a page changed) while Redis was down must not come back
from a copy written before the outage.
"""

import logging
import pickle
import time

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient, RedisSerializer

logger = logging.getLogger(__name__)

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# After a failure, Redis is left alone this long: a reader should not wait for a connection
# attempt on every request while it is down.
RETRY_AFTER_SECONDS = 5.0


class TolerantSerializer(RedisSerializer):
    """Unpickling that treats an unreadable value (left by an older release) as a miss."""

    def loads(self, data):
        try:
            return super().loads(data)
        except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, EOFError):
            return None


class TolerantRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        options.setdefault("serializer", TolerantSerializer)
        # Fail fast rather than hold a request while Redis is unreachable.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(servers, **options)
        self._clients = {}
        self._down_until = 0.0
        self._outage = False

    def get_client(self, key=None, *, write=False):
        # Building a redis.Redis object costs more than the GET it is built for (it sets up
        # its response callbacks every time); the pool behind it was already shared.
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]

    def _guarded(self, operation, fallback, *args):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            if self._outage:
                super().clear()  # before anything is read: nothing from before the outage
                self._outage = False
                logger.warning("Redis is reachable again; the cache was emptied.")
            return operation(*args)
        except UNREACHABLE as error:
            if not self._outage:
                logger.error("Redis is unreachable, serving from the database: %s", error)
            self._outage = True
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return fallback

    def add(self, key, value, timeout):
        # Unreachable: report "added", so that what is done once per key (a reading
        # counted) is still done, rather than silently skipped.
        return self._guarded(super().add, True, key, value, timeout)

    def get(self, key, default):
        return self._guarded(super().get, default, key, default)

    def set(self, key, value, timeout):
        return self._guarded(super().set, None, key, value, timeout)

    def touch(self, key, timeout):
        return self._guarded(super().touch, False, key, timeout)

    def delete(self, key):
        return self._guarded(super().delete, False, key)

    def get_many(self, keys):
        return self._guarded(super().get_many, {}, keys)

    def has_key(self, key):
        return self._guarded(super().has_key, False, key)

    def incr(self, key, delta):
        result = self._guarded(super().incr, None, key, delta)
        if result is None:  # unreachable: as Django does for a missing key
            raise ValueError(f"Key '{key}' not found.")
        return result

    def set_many(self, data, timeout):
        return self._guarded(super().set_many, None, data, timeout)

    def delete_many(self, keys):
        return self._guarded(super().delete_many, None, keys)

    def clear(self):
        return self._guarded(super().clear, False)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient
