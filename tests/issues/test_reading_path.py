from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Section
from apps.issues.models import Issue
from tests.conftest import clear_caches
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def published_issue(**kwargs):
    return IssueFactory(visible=True, **kwargs)


def published_article(issue, **kwargs):
    return ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, **kwargs)


def reader_urls(issue, article):
    return [
        reverse("reader:home"),
        reverse("reader:issues"),
        issue.get_absolute_url(),
        article.get_absolute_url(),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    issue = published_issue()
    article = published_article(issue)
    for url in reader_urls(issue, article):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next=")


def test_visible_issue_shows_its_contents_in_section_and_position_order(client_for, enterprise):
    issue = published_issue(editor_note="<p>本期编者的话</p>")
    trends = Section.objects.get(slug="industry-trends")
    general = Section.objects.get(slug="general-news")
    published_article(issue, section=trends, position=1, title="趋势一")
    published_article(issue, section=general, position=2, title="要闻二")
    published_article(issue, section=general, position=1, title="要闻一")

    response = client_for(enterprise).get(issue.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "本期编者的话" in page
    order = [page.index(text) for text in ["●综合要闻", "要闻一", "要闻二", "●行业趋势", "趋势一"]]
    assert order == sorted(order)


def test_draft_issue_is_invisible_everywhere(client_for, enterprise):
    issue = IssueFactory(status=Issue.Status.DRAFT, published_at=timezone.now())
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="草稿期的文章")
    client = client_for(enterprise)

    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "草稿期" not in client.get(reverse("reader:issues")).content.decode()
    assert str(issue) not in client.get(reverse("reader:issues")).content.decode()


def test_draft_article_in_a_published_issue_never_shows(client_for, enterprise):
    issue = published_issue()
    published_article(issue, title="已发布的文章")
    draft = ArticleFactory(issue=issue, status=Article.Status.APPROVED, title="尚未发布的文章")
    client = client_for(enterprise)

    page = client.get(issue.get_absolute_url()).content.decode()
    assert "已发布的文章" in page
    assert "尚未发布的文章" not in page
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_scheduled_issue_appears_at_its_time_without_any_job(client_for, enterprise):
    at = timezone.now() + timedelta(hours=2)
    issue = IssueFactory(status=Issue.Status.PUBLISHED, published_at=at)
    article = published_article(issue, title="定时发布的文章")
    client = client_for(enterprise)

    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
    with time_machine.travel(at + timedelta(seconds=1)):
        assert client.get(issue.get_absolute_url()).status_code == 200
        assert client.get(article.get_absolute_url()).status_code == 200


def test_leadership_articles_exist_only_for_leaders_and_staff(
    client_for, leader, enterprise, staff
):
    issue = published_issue()
    published_article(issue, title="公开文章")
    secret = published_article(
        issue, title="领导参阅文章", visibility=Article.Visibility.LEADERSHIP
    )

    page = client_for(enterprise).get(issue.get_absolute_url()).content.decode()
    assert "公开文章" in page
    assert "领导参阅文章" not in page
    assert client_for(enterprise).get(secret.get_absolute_url()).status_code == 404
    for reader in (leader, staff):
        client = client_for(reader)
        assert "领导参阅文章" in client.get(issue.get_absolute_url()).content.decode()
        assert client.get(secret.get_absolute_url()).status_code == 200


def test_expired_subscriber_is_told_when_the_subscription_ended(client_for):
    ended = timezone.localdate() - timedelta(days=3)
    expired = SubscriberFactory(
        valid_from=ended - timedelta(days=365), valid_until=ended, user__username="old"
    ).user
    issue = published_issue()
    article = published_article(issue)
    client = client_for(expired)
    for url in reader_urls(issue, article):
        response = client.get(url)
        assert response.status_code == 403, url
        assert f"{ended.year}年{ended.month}月{ended.day}日 到期" in response.content.decode()
        assert article.title not in response.content.decode()


def test_subscription_ending_takes_effect_on_the_next_page(client_for):
    subscriber = SubscriberFactory(user__username="soon")
    issue = published_issue()
    client = client_for(subscriber.user)
    assert client.get(issue.get_absolute_url()).status_code == 200

    subscriber.valid_until = timezone.localdate() - timedelta(days=1)
    subscriber.valid_from = subscriber.valid_until - timedelta(days=30)
    subscriber.save()
    assert client.get(issue.get_absolute_url()).status_code == 403

    subscriber.user.is_active = False
    subscriber.user.save()
    assert client.get(issue.get_absolute_url()).status_code == 302


def test_account_without_subscription_cannot_read(client_for, plain_user):
    issue = published_issue()
    response = client_for(plain_user).get(issue.get_absolute_url())
    assert response.status_code == 403
    assert "没有有效的订阅" in response.content.decode()


def test_home_opens_the_latest_visible_issue(client_for, enterprise):
    older = published_issue(number=1)
    newer = published_issue(number=2)
    IssueFactory(number=3, status=Issue.Status.REVIEW)
    older.published_at = newer.published_at - timedelta(days=30)
    older.save()
    response = client_for(enterprise).get(reverse("reader:home"))
    assert response.status_code == 200
    assert response.context["issue"] == newer
    page = response.content.decode()
    assert "2024年第2期" in page
    assert "2024年第1期" not in page


def test_archive_lists_only_visible_issues(client_for, enterprise):
    visible = published_issue(number=5)
    IssueFactory(number=6, status=Issue.Status.WITHDRAWN, published_at=timezone.now())
    page = client_for(enterprise).get(reverse("reader:issues")).content.decode()
    assert "<h2>2024年</h2>" in page
    assert visible.get_absolute_url() in page
    assert "第5期" in page
    assert "第6期" not in page


@pytest.mark.parametrize("size", [5, 60])
def test_issue_page_runs_a_fixed_number_of_queries(
    client_for, enterprise, django_assert_num_queries, size
):
    issue = published_issue()
    sections = list(Section.objects.all())
    for index in range(size):
        published_article(issue, section=sections[index % len(sections)], position=index + 1)
    client = client_for(enterprise)
    client.get(issue.get_absolute_url())  # the first visit also creates the reading row
    clear_caches()
    # session (back into the cache), the counters, user with subscription, issue, articles,
    # reading
    with django_assert_num_queries(6):
        assert client.get(issue.get_absolute_url()).status_code == 200
    # User, page and reading state come from the caches, checked against the counters.
    with django_assert_num_queries(1):
        assert client.get(issue.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("industries", [1, 12])
def test_article_page_runs_a_fixed_number_of_queries(
    client_for, enterprise, django_assert_num_queries, industries
):
    from apps.articles.models import Industry

    article = published_article(published_issue())
    article.industries.set(Industry.objects.all()[:industries])
    client = client_for(enterprise)
    client.get(article.get_absolute_url())  # the first visit also creates the reading row
    clear_caches()
    # session, the counters, user with subscription, article with issue and section,
    # corrections, industries, neighbours, reading
    with django_assert_num_queries(8):
        assert client.get(article.get_absolute_url()).status_code == 200
    # User, page and reading state come from the caches, checked against the counters.
    with django_assert_num_queries(1):
        assert client.get(article.get_absolute_url()).status_code == 200
