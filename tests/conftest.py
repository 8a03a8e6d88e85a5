import pytest

from apps.subscribers.models import Subscriber
from tests.factories import StaffFactory, SubscriberFactory, UserFactory


@pytest.fixture
def leader():
    return SubscriberFactory(kind=Subscriber.Kind.LEADERSHIP, user__username="leader1").user


@pytest.fixture
def enterprise():
    return SubscriberFactory(kind=Subscriber.Kind.ENTERPRISE, user__username="firm1").user


@pytest.fixture
def staff():
    return StaffFactory(username="staff1")


@pytest.fixture
def plain_user():
    """A signed-in account with no subscription."""
    return UserFactory(username="nobody")


@pytest.fixture
def client_for(client):
    """Return a test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Production hashing is slow on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
