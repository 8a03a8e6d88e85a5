"""Confirmation pages never offer a refused step: they run the step's own checks, say why it
would be refused and then offer only 返回; a GET on a step's address opens the object's page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def issue_with(*article_states, status=Issue.Status.REVIEW, **kwargs):
    issue = IssueFactory(status=status, **kwargs)
    for position, state in enumerate(article_states, start=1):
        ArticleFactory(issue=issue, status=state, position=position, title=f"文章{position}")
    return issue


def ask(client, issue, name, **data):
    url = reverse("admin:issues_issue_transition", args=[issue.pk, name])
    response = client.post(url, data)
    assert response.status_code == 200
    return response.content.decode()


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def assert_refused(page, label, reason):
    assert reason in page
    assert f'value="确认{label}"' not in page  # no button to take it
    assert ">返回</a>" in page
    assert "返回，不" not in page


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (lambda now: local(now - timedelta(hours=1)), "定时发布的时间必须晚于现在"),
        (lambda now: local(now + timedelta(days=400)), "定时发布的时间不能晚于一年之后"),
        (lambda now: "9999-12-31T23:59", "定时发布的时间不能晚于一年之后"),
        (lambda now: "", "请填写有效的定时发布日期和时间"),
    ],
)
def test_a_time_the_step_refuses_is_not_offered(client, reviewer, at, reason):
    issue = issue_with(Article.Status.APPROVED)
    client.force_login(reviewer)
    page = ask(client, issue, "schedule", at=at(timezone.now()))
    assert_refused(page, "定时发布", reason)
    assert "将于" not in page  # no summary of what would happen


def test_an_empty_issue_is_not_offered_publishing(client, reviewer):
    issue = issue_with()
    client.force_login(reviewer)
    assert_refused(ask(client, issue, "publish"), "发布", "本期还没有文章，不能发布")


def test_unapproved_articles_are_named_and_publishing_is_not_offered(client, reviewer):
    issue = issue_with(Article.Status.APPROVED, Article.Status.REVIEW, Article.Status.DRAFT)
    client.force_login(reviewer)
    page = ask(client, issue, "publish")
    assert_refused(
        page, "发布", "以下文章尚未审核通过，不能发布：《文章2》（待审核）、《文章3》（草稿）"
    )


def test_withdrawing_asks_with_the_reason_and_refuses_without_one(client, reviewer):
    issue = issue_with(
        Article.Status.PUBLISHED,
        status=Issue.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(reviewer)
    assert_refused(ask(client, issue, "withdraw", comment="   "), "撤回", "请填写撤回的原因")

    page = ask(client, issue, "withdraw", comment="数据有误")
    assert 'value="确认撤回"' in page
    assert "撤回原因：数据有误" in page
    assert ">返回</a>" in page
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED  # nothing yet

    url = reverse("admin:issues_issue_transition", args=[issue.pk, "withdraw"])
    client.post(url, {"comment": "数据有误", "confirmed": "1"})
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.WITHDRAWN


def test_a_step_that_passes_its_checks_is_offered_with_a_plain_back_button(client, reviewer):
    issue = issue_with(Article.Status.APPROVED)
    client.force_login(reviewer)
    page = ask(client, issue, "schedule", at=local(timezone.now() + timedelta(days=1)))
    assert 'value="确认定时发布"' in page
    assert ">返回</a>" in page
    assert "返回，不" not in page


@pytest.mark.parametrize(
    ("url_name", "args"),
    [
        ("admin:issues_issue_transition", ["publish"]),
        ("admin:issues_issue_transition", ["withdraw"]),
        ("admin:issues_issue_arrange", []),
        ("admin:issues_issue_review_articles", []),
        ("admin:issues_issue_mail_retry", []),
    ],
)
def test_a_get_on_a_step_address_opens_the_page_with_a_message(client, reviewer, url_name, args):
    issue = issue_with(Article.Status.APPROVED)
    client.force_login(reviewer)
    response = client.get(reverse(url_name, args=[issue.pk, *args]), follow=True)
    assert response.redirect_chain == [(reverse("admin:issues_issue_change", args=[issue.pk]), 302)]
    assert "此操作需在页面上点按钮执行" in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW
    assert not TransitionLog.objects.exists()


def test_a_get_on_an_article_step_opens_the_article(client, reviewer):
    article = ArticleFactory(status=Article.Status.REVIEW)
    client.force_login(reviewer)
    url = reverse("admin:articles_article_transition", args=[article.pk, "approve"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:articles_article_change", args=[article.pk])
    assert Article.objects.get(pk=article.pk).status == Article.Status.REVIEW
