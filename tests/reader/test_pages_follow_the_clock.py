"""A scheduled issue appears on every cached list page at its time, with no worker running.

Nothing is written when a scheduled issue's `published_at` comes, so the content counter does
not move: a cached page's life ends at the next scheduled time instead (page_cache, read with
the counter). No minute job runs in these tests.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from apps.search.indexing import refresh
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 in Xuchang
ON_TIME = START + timedelta(hours=2)

INDUSTRY = "new-materials"


def issue_with_article(title, *, number, published_at):
    issue = IssueFactory(
        year=2025, number=number, status=Issue.Status.PUBLISHED, published_at=published_at
    )
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title=title)
    article.industries.set([Industry.objects.get(slug=INDUSTRY)])
    return issue


def from_the_cache(reader, url, params=None):
    """Return the page, asserting it was not rendered again (no article was read)."""
    with CaptureQueriesContext(connection) as queries:
        page = reader.get(url, params or {}).content.decode()
    assert not [q["sql"] for q in queries if "articles_article" in q["sql"]], url
    return page


PAGES = {
    "home": (reverse("reader:home"), {}),
    "archive": (reverse("reader:issues"), {}),
    "industry": (reverse("reader:industry", args=[INDUSTRY]), {}),
    "search": (reverse("reader:search"), {"q": "氢能"}),
}


@time_machine.travel(START, tick=False)
def test_a_scheduled_issue_appears_on_every_cached_list_page_at_its_time(client_for):
    issue_with_article("氢能产业早间观察", number=1, published_at=START - timedelta(days=7))
    scheduled = issue_with_article(
        "氢能定时发布专稿", number=2, published_at=START + timedelta(hours=1)
    )
    refresh(Article.objects.values_list("pk", flat=True))
    reader = client_for(SubscriberFactory().user)
    reader.get(reverse("reader:profile"))  # the session and the user reach the cache

    for url, params in PAGES.values():
        page = reader.get(url, params).content.decode()
        assert "定时发布专稿" not in page and scheduled.get_absolute_url() not in page
        # Cached until the scheduled time.
        with time_machine.travel(ON_TIME - timedelta(minutes=61), tick=False):
            assert "定时发布专稿" not in from_the_cache(reader, url, params)

    with time_machine.travel(ON_TIME, tick=False):
        for name, (url, params) in PAGES.items():
            page = reader.get(url, params).content.decode()
            if name == "archive":
                assert scheduled.get_absolute_url() in page, name
            else:
                # (A search marks the words it found: 氢能 is marked in the title.)
                assert "定时发布专稿" in page, name
        assert reader.get(scheduled.get_absolute_url()).status_code == 200
    # No worker ran: the issue was never recorded as live, and still appeared.
    assert Issue.objects.get(pk=scheduled.pk).went_live_at is None


@time_machine.travel(START, tick=False)
def test_without_a_scheduled_issue_the_clock_ends_no_copy(client_for):
    issue_with_article("氢能产业早间观察", number=1, published_at=START - timedelta(days=7))
    reader = client_for(SubscriberFactory().user)
    url = reverse("reader:home")
    reader.get(url)
    # Nothing is scheduled: the clock does not end the copy.
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        assert "氢能产业早间观察" in from_the_cache(reader, url)
