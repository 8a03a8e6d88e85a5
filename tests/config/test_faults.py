"""Redis may fail; readers may not notice. The health check tells what is down."""

import os
import signal

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.urls import reverse

from apps.articles.models import Article
from apps.readership.models import Reading
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def freeze(server):
    # A stopped process keeps its connections and its data: requests to it time out, as
    # with a hung or unreachable Redis, and its old contents are still there afterwards.
    os.kill(server.pid, signal.SIGSTOP)


def thaw(server):
    os.kill(server.pid, signal.SIGCONT)
    caches["default"]._cache._down_until = 0.0  # do not wait out the retry pause


@pytest.fixture
def article():
    return ArticleFactory(issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED)


def test_readers_keep_reading_while_redis_is_down(client, enterprise, article, redis_of_our_own):
    client.force_login(enterprise)
    assert client.get(article.get_absolute_url()).status_code == 200

    freeze(redis_of_our_own)
    for url in [
        reverse("reader:home"),
        article.issue.get_absolute_url(),
        article.get_absolute_url(),
        reverse("reader:issues"),
        reverse("reader:search") + "?q=正文",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url  # still signed in, from the database
    # Readings are still recorded: nothing is lost while the cache is away.
    assert Reading.objects.filter(user=enterprise, issue=article.issue, article=None).exists()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"database": "ok", "cache": "unavailable", "worker": "late"}
    thaw(redis_of_our_own)
    assert client.get("/healthz").json()["cache"] == "ok"


def test_signing_in_works_while_redis_is_down(client, enterprise, redis_of_our_own):
    freeze(redis_of_our_own)
    response = client.post(
        reverse("login"), {"username": enterprise.username, "password": "xuchang-test-pass"}
    )
    assert response.status_code == 302
    assert client.get(reverse("reader:home")).status_code == 200
    thaw(redis_of_our_own)


def test_a_session_ended_during_the_outage_does_not_come_back_with_redis(
    client, enterprise, redis_of_our_own
):
    client.force_login(enterprise)
    assert client.get(reverse("reader:home")).status_code == 200  # the session is in Redis
    old_session = client.cookies["sessionid"].value  # as a second device still holds it

    freeze(redis_of_our_own)
    client.post(reverse("logout"))  # deleted from the database; Redis could not be told
    thaw(redis_of_our_own)

    # Redis is back with its copy from before the outage; it must not sign anyone in.
    client.cookies["sessionid"] = old_session
    assert client.get(reverse("reader:home")).status_code == 302


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", refuse)  # the boundary: the database server
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
