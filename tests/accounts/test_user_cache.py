import pytest

from apps.accounts import user_cache
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_a_copy_read_before_a_change_is_never_served_after_it(django_assert_num_queries):
    subscriber = SubscriberFactory(user__username="racer")
    user_id = subscriber.user_id
    user_cache.load(user_id)
    with django_assert_num_queries(0):
        assert user_cache.load(user_id).is_active

    # A request reads the row, then the account is suspended, then that request caches it.
    stale = type(subscriber.user).objects.select_related("subscriber").get(pk=user_id)
    copy_key, version_key = user_cache._keys(user_id)
    from django.core.cache import cache

    version_before = cache.get(version_key)
    subscriber.user.is_active = False
    subscriber.user.save()
    cache.set(copy_key, (version_before, stale))

    assert user_cache.load(user_id).is_active is False
