"""The latest issue is the live one with the highest (year, number), whenever each went live.

2024年第2期 published before 2024年第1期 (the first still in review when the second went out)
must not make 第1期 the newest: not on the home page, not first in 往期, not first among the
followed industries' articles, not first on an industry's page.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def live_issue(year, number, *, days_ago, title):
    issue = IssueFactory(
        year=year,
        number=number,
        status=Issue.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=days_ago),
    )
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title=title)
    article.industries.set(Industry.objects.filter(slug="new-materials"))
    return issue


@pytest.fixture
def out_of_order():
    """第2期 went live first, 第1期 a day later; 2023年第12期 long before both."""
    return [
        live_issue(2023, 12, days_ago=30, title="去年最后一期的文章"),
        live_issue(2024, 2, days_ago=2, title="第二期的文章"),
        live_issue(2024, 1, days_ago=1, title="第一期的文章"),
    ]


def test_the_queryset_orders_by_year_and_number(out_of_order):
    newest = Issue.objects.live().newest_first()
    assert [(i.year, i.number) for i in newest] == [(2024, 2), (2024, 1), (2023, 12)]
    assert Issue.objects.newest_first_order("issue__") == ("-issue__year", "-issue__number")


def test_the_home_page_shows_the_highest_number(client_for, enterprise, out_of_order):
    enterprise.subscriber.industries.set(Industry.objects.filter(slug="new-materials"))
    page = client_for(enterprise).get(reverse("reader:home")).content.decode()

    contents = page[: page.index('id="followed"')]
    assert "2024年第2期" in contents and "第二期的文章" in contents
    assert "第一期的文章" not in contents
    # The followed industries' articles: the latest issue's first.
    followed = page[page.index('id="followed"') :]
    order = [followed.index(t) for t in ("第二期的文章", "第一期的文章", "去年最后一期的文章")]
    assert order == sorted(order)


def test_the_archive_lists_issues_by_number(client_for, enterprise, out_of_order):
    page = client_for(enterprise).get(reverse("reader:issues")).content.decode()
    urls = [reverse("reader:issue", args=args) for args in ((2024, 2), (2024, 1), (2023, 12))]
    positions = [page.index(f'href="{url}"') for url in urls]
    assert positions == sorted(positions)


def test_an_industry_page_lists_the_latest_issue_first(client_for, enterprise, out_of_order):
    url = reverse("reader:industry", args=["new-materials"])
    page = client_for(enterprise).get(url).content.decode()
    order = [page.index(t) for t in ("第二期的文章", "第一期的文章", "去年最后一期的文章")]
    assert order == sorted(order)
