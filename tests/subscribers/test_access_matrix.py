"""Every reader URL × every kind of visitor × every kind of content."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

VISITORS = [
    "anonymous",
    "leader",
    "enterprise",
    "expired",
    "suspended",
    "staff",
    # Where the second factor is required (production): a staff session that passed it, one
    # that signed in with the password alone, and such a one whose account also subscribes.
    "staff_verified",
    "staff_password_only",
    "staff_password_only_subscribed",
]
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


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    # As in production; the plain "staff" row stands for a verified session through
    # sign_in, like "staff_verified".
    settings.OTP_REQUIRED = True


def visitor(name):
    today = timezone.localdate()
    if name == "anonymous":
        return None
    if name in ("staff", "staff_verified", "staff_password_only"):
        return StaffFactory(username=name)
    if name == "staff_password_only_subscribed":
        user = SubscriberFactory(user__username=name, kind=Subscriber.Kind.ENTERPRISE).user
        user.is_staff = True
        user.save()
        return user
    if name == "expired":
        return SubscriberFactory(
            user__username="lapsed",
            valid_from=today - timedelta(days=400),
            valid_until=today - timedelta(days=1),
        ).user
    kind = Subscriber.Kind.LEADERSHIP if name == "leader" else Subscriber.Kind.ENTERPRISE
    user = SubscriberFactory(user__username=name, kind=kind).user
    return user


def sign_in(client, name, user):
    """Sign `user` in as visitor `name`: staff rows other than "password only" also pass the
    second factor, as the back office's login does."""
    client.force_login(user)
    if name in ("staff", "staff_verified"):
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def expected(name, kind):
    """What each visitor gets for an article URL."""
    if name in ("anonymous", "suspended", "staff_password_only"):
        # To a login page: a suspended account's session no longer counts, and staff without
        # the second factor are asked for it.
        return 302
    if name == "staff_password_only_subscribed":
        name = "enterprise"  # reads what the account's subscription allows, no more
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
        sign_in(client, name, user)
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
        sign_in(client, name, user)
    for url in [reverse("reader:home"), reverse("reader:issues"), reverse("reader:feedback")]:
        response = client.get(url, follow=True)
        page = response.content.decode()
        assert "草稿期文章" not in page
        if name not in ("leader", "staff", "staff_verified"):
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
