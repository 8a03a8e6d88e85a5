from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.core.revisions import Counter, read
from apps.issues.models import Issue
from apps.search.models import SearchDocument
from apps.workflow import steps
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def issue_in_review(*article_states, **kwargs):
    issue = IssueFactory(status=Issue.Status.REVIEW, **kwargs)
    for index, state in enumerate(article_states, start=1):
        ArticleFactory(issue=issue, status=state, title=f"文章{index}", position=index)
    return issue


def publish_over_http(client, issue, name="publish", **data):
    url = reverse("admin:issues_issue_transition", args=[issue.pk, name])
    # As after the confirmation page (test_confirmation.py shows that page itself).
    return client.post(url, {"confirmed": "1", **data}, follow=True)


def test_publish_is_refused_naming_the_articles_not_approved(client, reviewer):
    issue = issue_in_review(Article.Status.APPROVED, Article.Status.REVIEW, Article.Status.DRAFT)
    client.force_login(reviewer)

    response = publish_over_http(client, issue)

    page = response.content.decode()
    assert "以下文章尚未审核通过，不能发布：《文章2》（待审核）、《文章3》（草稿）" in page
    issue.refresh_from_db()
    assert (issue.status, issue.published_at, issue.total_number) == (
        Issue.Status.REVIEW,
        None,
        None,
    )
    assert list(issue.articles.values_list("status", flat=True).order_by("position")) == [
        Article.Status.APPROVED,
        Article.Status.REVIEW,
        Article.Status.DRAFT,
    ]
    assert not TransitionLog.objects.exists()


def test_publish_without_articles_is_refused(client, reviewer):
    issue = issue_in_review()
    client.force_login(reviewer)
    assert "本期还没有文章，不能发布" in publish_over_http(client, issue).content.decode()
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW


@time_machine.travel("2024-03-01 10:00 +0800", tick=False)
def test_publish_moves_everything_at_once_and_numbers_the_issue(
    client, reviewer, django_capture_on_commit_callbacks
):
    IssueFactory(
        number=1, status=Issue.Status.PUBLISHED, total_number=41, published_at=timezone.now()
    )
    issue = issue_in_review(Article.Status.APPROVED, Article.Status.APPROVED, number=2)
    client.force_login(reviewer)
    revision_before = read(Counter.CONTENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = publish_over_http(client, issue)

    assert "已发布" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.published_at == timezone.now()
    assert issue.total_number == 42
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.PUBLISHED}
    article_logs = TransitionLog.objects.filter(
        to_status=Article.Status.PUBLISHED, from_status=Article.Status.APPROVED
    )
    assert article_logs.count() == 2
    # After the commit: the search index, the cached reader pages, the follow-up.
    assert SearchDocument.objects.filter(article__issue=issue).count() == 2
    assert read(Counter.CONTENT) != revision_before
    assert issue.went_live_at == timezone.now()  # follow-up ran right after the commit


def test_publishing_twice_publishes_once(reviewer):
    issue = issue_in_review(Article.Status.APPROVED, total_number=7)
    steps.perform(issue, "publish", by=reviewer)
    with pytest.raises(steps.AlreadyDone):
        steps.perform(issue, "publish", by=reviewer)
    issue.refresh_from_db()
    assert issue.total_number == 7
    assert TransitionLog.objects.filter(transition="publish").count() == 1


def test_double_click_over_http_answers_kindly(client, reviewer):
    issue = issue_in_review(Article.Status.APPROVED)
    client.force_login(reviewer)
    publish_over_http(client, issue)
    response = publish_over_http(client, issue)
    assert response.status_code == 200
    assert "已经是已发布状态" in response.content.decode()
    assert TransitionLog.objects.filter(transition="publish").count() == 1


def test_a_failing_publish_leaves_nothing_half_done(reviewer, monkeypatch):
    issue = issue_in_review(Article.Status.APPROVED, Article.Status.APPROVED)

    def broken_log(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(steps, "_log", broken_log)
    with pytest.raises(RuntimeError):
        steps.perform(issue, "publish", by=reviewer)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.REVIEW
    assert issue.total_number is None
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.APPROVED}


def test_schedule_needs_a_future_time(client, reviewer):
    issue = issue_in_review(Article.Status.APPROVED)
    client.force_login(reviewer)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = publish_over_http(client, issue, "schedule", at=past).content.decode()
    assert "定时发布的时间必须晚于现在" in page
    for bad in ["", "下周一", "2030-13-45T25:99"]:
        page = publish_over_http(client, issue, "schedule", at=bad).content.decode()
        assert "请填写有效的定时发布日期和时间" in page
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW


def test_scheduled_issue_becomes_visible_at_its_time(client, reviewer, enterprise):
    issue = issue_in_review(Article.Status.APPROVED)
    article = issue.articles.get()
    client.force_login(reviewer)
    start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    at = start.replace(hour=9, minute=30)
    with time_machine.travel(start, tick=False):
        publish_over_http(client, issue, "schedule", at=at.strftime("%Y-%m-%dT%H:%M"))
        issue.refresh_from_db()
        assert issue.status == Issue.Status.PUBLISHED
        assert issue.published_at == at
        changelist = client.get(reverse("admin:issues_issue_changelist")).content.decode()
        assert f"定时：{at:%Y-%m-%d} 09:30" in changelist

        client.force_login(enterprise)
        assert client.get(issue.get_absolute_url()).status_code == 404
        assert client.get(article.get_absolute_url()).status_code == 404
        assert steps.mark_live() == []

    with time_machine.travel(at + timedelta(seconds=1), tick=False):
        assert client.get(issue.get_absolute_url()).status_code == 200
        assert client.get(article.get_absolute_url()).status_code == 200


def test_publish_due_is_idempotent(reviewer, capsys):
    issue = issue_in_review(Article.Status.APPROVED)
    with time_machine.travel("2024-05-01 08:00 +0800", tick=False):
        steps.perform(issue, "schedule", by=reviewer, at=timezone.now() + timedelta(hours=1))
        call_command("publish_due")
        assert "本次处理 0 期" in capsys.readouterr().out
    with time_machine.travel("2024-05-01 09:05 +0800", tick=False):
        call_command("publish_due")
        output = capsys.readouterr().out
        assert f"已上线：{Issue.objects.get(pk=issue.pk)}" in output
        call_command("publish_due")
        assert "本次处理 0 期" in capsys.readouterr().out
    assert Issue.objects.get(pk=issue.pk).went_live_at is not None


def test_withdraw_and_reopen_take_the_articles_along(reviewer):
    issue = issue_in_review(Article.Status.APPROVED)
    steps.perform(issue, "publish", by=reviewer)
    with pytest.raises(steps.TransitionRefused, match="请填写撤回的原因"):
        steps.perform(issue, "withdraw", by=reviewer, comment="  ")
    with pytest.raises(steps.TransitionRefused, match="意见不能超过 2000 字"):
        steps.perform(issue, "withdraw", by=reviewer, comment="长" * 2001)
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED
    steps.perform(issue, "withdraw", by=reviewer, comment="数据有误")
    assert not Issue.objects.visible_to(reviewer).filter(pk=issue.pk).exists()
    steps.perform(issue, "reopen", by=reviewer)
    issue.refresh_from_db()
    assert (issue.status, issue.published_at) == (Issue.Status.DRAFT, None)
    assert issue.articles.get().status == Article.Status.APPROVED
    steps.perform(issue, "submit", by=reviewer)
    steps.perform(issue, "publish", by=reviewer)
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED


def test_total_numbers_follow_the_order_issues_go_live(reviewer):
    from apps.notifications.live import mark_live

    IssueFactory(status=Issue.Status.PUBLISHED, total_number=41, published_at=timezone.now())
    later = issue_in_review(Article.Status.APPROVED)
    sooner = issue_in_review(Article.Status.APPROVED)
    start = timezone.now()
    steps.perform(later, "schedule", by=reviewer, at=start + timedelta(hours=2))
    # Going out before `later`, an earlier number: the reviewer's tick box (test_issue_order.py).
    steps.perform(sooner, "schedule", by=reviewer, at=start + timedelta(hours=1), out_of_order=True)
    later.refresh_from_db()
    assert later.total_number is None  # not yet: numbers come with going live
    with time_machine.travel(start + timedelta(hours=1, minutes=1), tick=False):
        mark_live()
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        mark_live()
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert (sooner.total_number, later.total_number) == (42, 43)
