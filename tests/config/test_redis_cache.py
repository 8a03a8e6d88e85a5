"""The production cache backend (config.cache.RedisCache) against a real Redis server."""

import pytest
from django.core.cache import caches

from config.cache import RedisCache
from tests.config.test_settings import run_settings
from tests.conftest import REDIS_URL


@pytest.fixture
def redis_cache(cache_kind):
    assert cache_kind == "redis"
    return caches["default"]


@pytest.mark.parametrize("cache_kind", ["redis"], indirect=True)
def test_the_backend_stores_reads_and_counts_in_redis(redis_cache):
    assert isinstance(redis_cache, RedisCache)
    redis_cache.set("page", ("生成", b"<html>"), timeout=60)
    assert redis_cache.add("page", "other") is False
    assert redis_cache.get_many(["page", "missing"]) == {"page": ("生成", b"<html>")}
    redis_cache.set("counter", 1)
    assert redis_cache.incr("counter") == 2
    redis_cache.delete_many(["page", "counter"])
    assert redis_cache.get("page") is None


@pytest.mark.parametrize("cache_kind", ["redis"], indirect=True)
def test_one_client_per_pool_is_reused_between_calls(redis_cache):
    client = redis_cache._cache  # the backend's client, which hands out redis.Redis objects
    assert client.get_client() is client.get_client("another-key")
    assert client.get_client(write=True) is client.get_client("k", write=True)
    redis_cache.set("a", 1)
    assert client.get_client().get(redis_cache.make_key("a")) is not None


def test_production_settings_pick_this_backend_for_redis_urls():
    result = run_settings(
        "print(settings.CACHES['default']['BACKEND'])",
        DJANGO_DEBUG="0",
        SECRET_KEY="x" * 60,
        CACHE_URL=REDIS_URL,
        ALLOWED_HOSTS="example.org",
    )
    assert result.stdout.strip() == "config.cache.RedisCache", result.stderr
