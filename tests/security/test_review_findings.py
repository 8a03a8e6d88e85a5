"""Findings of the review of the newest features (follow, steps, 405, import, search)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.search.indexing import refresh
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("reader:search")


@pytest.fixture
def article():
    article = ArticleFactory(
        issue=IssueFactory(visible=True, number=60),
        status=Article.Status.PUBLISHED,
        title="发制品出口",
        body="<p>假发出口增长</p>",
    )
    refresh([article.pk])
    return article


def found(client, query):
    page = client.get(SEARCH, {"q": query}).content.decode()
    return ">发制品出口</a>" in page


@pytest.mark.parametrize(
    "change",
    [
        lambda a: Article.objects.filter(pk=a.pk).update(visibility="leadership"),
        lambda a: Article.objects.filter(pk=a.pk).update(status=Article.Status.DRAFT),
        lambda a: Issue.objects.filter(pk=a.issue_id).update(status=Issue.Status.WITHDRAWN),
        lambda a: Issue.objects.filter(pk=a.issue_id).update(
            published_at=timezone.now() + timedelta(days=1)
        ),
        lambda a: Issue.objects.filter(pk=a.issue_id).update(status=Issue.Status.DRAFT),
    ],
)
def test_search_never_shows_what_the_reader_may_not_read(client, enterprise, article, change):
    client.force_login(enterprise)
    assert found(client, "假发")
    change(article)
    assert not found(client, "假发")
    assert not found(client, "发制品")


# --- the issue page's 审核通过 / 全部通过 for those who may not see the articles ---


def _draft_issue_with_article_in_review(author):
    issue = IssueFactory(created_by=author, status=Issue.Status.DRAFT)
    ArticleFactory(issue=issue, created_by=author, title="机密稿件", status=Article.Status.REVIEW)
    return issue


@pytest.mark.parametrize("who", ["other_editor", "subadmin"])
def test_review_buttons_do_not_name_articles_the_user_may_not_see(client, editor, who, request):
    issue = _draft_issue_with_article_in_review(editor)
    client.force_login(request.getfixturevalue(who))
    url = reverse("admin:issues_issue_review_articles", args=[issue.pk])
    response = client.post(url, {"review": "approve_all"}, follow=True)
    assert "机密稿件" not in response.content.decode()
    assert Article.objects.get(issue=issue).status == Article.Status.REVIEW


# --- 关注: only a reader who may read changes their followed industries ---


def _follow_url(slug="new-materials"):
    return reverse("reader:industry_follow", args=[slug])


def test_follow_refused_to_readers_who_may_not_read(client, staff, settings):
    settings.OTP_REQUIRED = True
    expired = SubscriberFactory(
        user__username="lapsed", valid_until=timezone.localdate() - timedelta(days=1)
    )
    suspended = SubscriberFactory(user__username="suspended")
    suspended.user.is_active = False
    suspended.user.save()
    for subscriber in (expired, suspended):
        client.force_login(subscriber.user)
        response = client.post(_follow_url(), {"follow": "1"})
        assert response.status_code in (302, 403)
        assert not subscriber.industries.exists()
    client.logout()
    client.force_login(staff)  # no second factor
    response = client.post(_follow_url(), {"follow": "1"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # A bad value unfollows (the form says the state), never errors.
    reader = SubscriberFactory(user__username="reader9")
    client.force_login(reader.user)
    for value in ("", "2", "x" * 5000, "1\x00"):
        assert client.post(_follow_url(), {"follow": value}).status_code in (302, 400)
    assert client.post("/industries/no-such/follow/", {"follow": "1"}).status_code == 404


def test_a_title_holding_the_csrf_slot_gets_no_token(client, enterprise):
    from apps.articles.models import Industry

    article = ArticleFactory(
        issue=IssueFactory(visible=True, number=61),
        status=Article.Status.PUBLISHED,
        title="标题<!--csrf-token-->",
        summary='"><!--csrf-token--><img src="//evil/?',
    )
    article.industries.set(Industry.objects.filter(slug="new-materials"))
    client.force_login(enterprise)
    for _ in range(2):  # rendered, then from the cache
        page = client.get(reverse("reader:industry", args=["new-materials"])).content.decode()
        assert page.count('name="csrfmiddlewaretoken"') == 1
        assert "标题&lt;!--csrf-token--&gt;" in page


# --- issues in order: moving an earlier issue behind a later one asks too ---


def test_rescheduling_an_earlier_issue_behind_a_later_one_needs_the_box(client, reviewer):
    from apps.workflow import steps

    day = timedelta(days=1)
    issues = []
    for number in (1, 2):
        issue = IssueFactory(year=2024, number=number, status=Issue.Status.REVIEW)
        ArticleFactory(issue=issue, status=Article.Status.APPROVED)
        issues.append(issue)
    first, second = issues
    # In order: 第1期 tomorrow, 第2期 the day after; nobody was asked, rightly.
    steps.schedule_issue(first, by=reviewer, at=timezone.now() + day)
    steps.schedule_issue(second, by=reviewer, at=timezone.now() + 2 * day)

    # 第1期 moved behind 第2期: 第2期 would go out first, so the step asks for the box.
    late = timezone.now() + 3 * day
    with pytest.raises(steps.TransitionRefused, match="第2期"):
        steps.reschedule_issue(first, by=reviewer, at=late)
    first.refresh_from_db()
    assert first.published_at < late

    # The admin's confirmation page asks the question and offers the box; with it, it is done.
    client.force_login(reviewer)
    url = reverse("admin:issues_issue_transition", args=[first.pk, "reschedule"])
    at = timezone.localtime(late).strftime("%Y-%m-%dT%H:%M")
    question = client.post(url, {"at": at}, follow=True).content.decode()
    assert 'name="out_of_order"' in question and "第2期" in question
    client.post(url, {"at": at, "confirmed": "1"}, follow=True)
    first.refresh_from_db()
    assert first.published_at < late
    client.post(url, {"at": at, "confirmed": "1", "out_of_order": "1"}, follow=True)
    first.refresh_from_db()
    assert first.published_at > timezone.now() + 2 * day


# --- the import and staff accounts: a username that is a staff member's e-mail or mobile ---


@pytest.mark.parametrize("login", ["boss@example.com", "BOSS@example.com", "13912345678"])
def test_an_import_cannot_take_a_staff_members_login_name(subadmin_client, login):
    from apps.accounts.backends import UsernameEmailOrMobileBackend
    from apps.subscribers.models import Subscriber
    from tests.factories import StaffFactory
    from tests.subscribers.test_import_safety import dry_run, text

    boss = StaffFactory(username="boss", email="boss@example.com", mobile="13912345678")
    row = {
        "username": login,
        "full_name": "冒名者",
        "kind": "企业",
        "organization": "某公司",
        "region": "魏都区",
        "valid_until": "2099-12-31",
    }
    preview = dry_run(subadmin_client, row)
    assert "不能用作用户名" in text(preview)
    assert preview.context.get("confirm_form") is None
    assert not Subscriber.objects.filter(user__username=login).exists()
    # The staff member still signs in with their e-mail and mobile.
    assert UsernameEmailOrMobileBackend.find_user("boss@example.com") == boss
    assert UsernameEmailOrMobileBackend.find_user("13912345678") == boss


def test_an_import_cannot_give_an_account_anothers_username_as_email(subadmin_client):
    from tests.factories import StaffFactory
    from tests.subscribers.test_import_safety import dry_run, text

    StaffFactory(username="boss@example.com")
    row = {
        "username": "someone",
        "full_name": "冒名者",
        "kind": "企业",
        "organization": "某公司",
        "region": "魏都区",
        "valid_until": "2099-12-31",
        "email": "Boss@example.com",
    }
    preview = dry_run(subadmin_client, row)
    assert "已被其他订户使用" in text(preview)
    assert preview.context.get("confirm_form") is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"username": "boss@example.com"},
        {"username": "13912345678"},
        {"email": "Boss.Login@example.com"},
    ],
)
def test_the_subscriber_form_cannot_take_a_staff_members_login_name(
    client, subadmin_client, overrides
):
    from apps.subscribers.models import Subscriber
    from tests.factories import StaffFactory
    from tests.subscribers.test_subscriber_admin import new_subscriber

    StaffFactory(username="boss.login@example.com", email="boss@example.com", mobile="13912345678")
    response = client.post(reverse("admin:subscribers_subscriber_add"), new_subscriber(**overrides))
    assert response.status_code == 200  # the form again, with the error
    assert not Subscriber.objects.exists()


# --- left for the lead: the order of issues across a year's end, and 取消定时 ---


def test_the_subscriber_manager_reaches_none_of_the_issue_steps(subadmin_client, editor):
    issue = _draft_issue_with_article_in_review(editor)
    article = Article.objects.get(issue=issue)
    for url, data in [
        (reverse("admin:issues_issue_review_articles", args=[issue.pk]), {"review": "approve_all"}),
        (
            reverse("admin:issues_issue_review_articles", args=[issue.pk]),
            {"review": f"approve:{article.pk}"},
        ),
        (reverse("admin:issues_issue_transition", args=[issue.pk, "submit"]), {"confirmed": "1"}),
        (
            reverse("admin:articles_article_transition", args=[article.pk, "approve"]),
            {"confirmed": "1"},
        ),
        (reverse("admin:issues_issue_arrange", args=[issue.pk]), {"action": "save", "layout": ""}),
        (
            reverse("admin:articles_article_changelist"),
            {"action": "approve_selected", "_selected_action": [article.pk]},
        ),
    ]:
        assert subadmin_client.post(url, data).status_code == 403, url
    article.refresh_from_db()
    issue.refresh_from_db()
    assert (article.status, issue.status) == (Article.Status.REVIEW, Issue.Status.DRAFT)
