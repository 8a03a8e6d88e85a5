"""Every reader URL × every kind of visitor × every kind of content."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

VISITORS = ["anonymous", "leader", "enterprise", "expired", "suspended", "staff"]
CONTENT = ["visible", "draft", "leadership"]


@pytest.fixture
def content():
    issue = IssueFactory(visible=True)
    draft_issue = IssueFactory(status=Issue.Status.DRAFT)
    return {
        "visible": ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="公开文章"),
        "draft": ArticleFactory(
            issue=draft_issue, status=Article.Status.PUBLISHED, title="草稿期文章"
        ),
        "leadership": ArticleFactory(
            issue=issue,
            status=Article.Status.PUBLISHED,
            title="领导参阅",
            visibility=Article.Visibility.LEADERSHIP,
        ),
    }


def visitor(name):
    today = timezone.localdate()
    if name == "anonymous":
        return None
    if name == "staff":
        return StaffFactory(username="support")
    if name == "expired":
        return SubscriberFactory(
            user__username="lapsed",
            valid_from=today - timedelta(days=400),
            valid_until=today - timedelta(days=1),
        ).user
    kind = Subscriber.Kind.LEADERSHIP if name == "leader" else Subscriber.Kind.ENTERPRISE
    user = SubscriberFactory(user__username=name, kind=kind).user
    return user


def expected(name, kind):
    """What each visitor gets for an article URL."""
    if name in ("anonymous", "suspended"):
        return 302  # to the login page; a suspended account's session no longer counts
    if name == "expired":
        return 403  # the page that says when the subscription ended
    if kind == "draft":
        return 404
    if kind == "leadership" and name == "enterprise":
        return 404
    return 200


@pytest.mark.parametrize("name", VISITORS)
@pytest.mark.parametrize("kind", CONTENT)
def test_article_and_issue_urls(client, content, name, kind):
    user = visitor(name)
    if user is not None:
        client.force_login(user)
        if name == "suspended":
            user.is_active = False
            user.save()
    article = content[kind]

    for url in [
        article.get_absolute_url(),
        reverse("reader:feedback") + f"?article={article.pk}",
    ]:
        response = client.get(url)
        assert response.status_code == expected(name, kind), url
        if response.status_code != 200:
            assert article.title not in response.content.decode()

    issue_page = client.get(article.issue.get_absolute_url())
    if expected(name, kind) == 200:
        assert article.title in issue_page.content.decode()
    elif issue_page.status_code == 200:
        assert article.title not in issue_page.content.decode()


@pytest.mark.parametrize("name", VISITORS)
def test_lists_never_show_what_the_visitor_may_not_read(client, content, name):
    user = visitor(name)
    if user is not None:
        client.force_login(user)
    for url in [reverse("reader:home"), reverse("reader:issues"), reverse("reader:feedback")]:
        response = client.get(url, follow=True)
        page = response.content.decode()
        assert "草稿期文章" not in page
        if name != "leader" and name != "staff":
            assert "领导参阅" not in page


def test_leadership_articles_are_absent_from_issue_contents_count(client, content):
    enterprise = visitor("enterprise")
    visible = Article.objects.visible_to(enterprise)
    assert set(visible.values_list("title", flat=True)) == {"公开文章"}
    leader = visitor("leader")
    assert set(Article.objects.visible_to(leader).values_list("title", flat=True)) == {
        "公开文章",
        "领导参阅",
    }
