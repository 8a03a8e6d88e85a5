"""Scheduling and publishing with confidence: one-step changes, bounds, a confirmation."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def ready_issue():
    issue = IssueFactory(status=Issue.Status.REVIEW)
    for position in (1, 2):
        ArticleFactory(issue=issue, status=Article.Status.APPROVED, position=position)
    return issue


def take(client, issue, name, **data):
    url = reverse("admin:issues_issue_transition", args=[issue.pk, name])
    return client.post(url, data, follow=True).content.decode()


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_publish_asks_first_and_says_what_will_happen(client, reviewer):
    issue = ready_issue()
    SubscriberFactory(kind=Subscriber.Kind.LEADERSHIP)
    SubscriberFactory()
    SubscriberFactory(notify_by_email=False)
    client.force_login(reviewer)
    question = take(client, issue, "publish")
    assert "确认发布" in question
    assert "本期 2 篇文章将随期刊发布" in question
    assert "2 位订户将收到新一期邮件通知（其中领导 1 位）" in question
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW  # nothing yet
    answer = take(client, issue, "publish", confirmed="1")
    assert "已发布" in answer
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED


def test_the_question_is_for_those_who_may_publish(client, editor):
    issue = ready_issue()
    client.force_login(editor)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "publish"])
    assert client.post(url).status_code in (403, 404)


def test_a_scheduled_time_changes_or_is_cancelled_in_one_step(client, reviewer):
    issue = ready_issue()
    client.force_login(reviewer)
    first = timezone.now() + timedelta(days=2)
    take(client, issue, "schedule", at=local(first), confirmed="1")
    issue.refresh_from_db()
    assert issue.is_scheduled
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "修改定时" in page and "取消定时" in page

    second = timezone.now() + timedelta(days=5)
    assert "已修改定时" in take(client, issue, "reschedule", at=local(second))
    issue.refresh_from_db()
    assert (issue.status, local(issue.published_at)) == (Issue.Status.PUBLISHED, local(second))

    assert "已取消定时" in take(client, issue, "unschedule")
    issue.refresh_from_db()
    assert (issue.status, issue.published_at) == (Issue.Status.REVIEW, None)
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.APPROVED}


def test_times_in_the_past_or_more_than_a_year_ahead_are_refused(client, reviewer):
    issue = ready_issue()
    client.force_login(reviewer)
    for at, message in (
        ("9999-12-31T10:00", "不能晚于一年之后"),
        (local(timezone.now() + timedelta(days=400)), "不能晚于一年之后"),
        (local(timezone.now() - timedelta(hours=1)), "必须晚于现在"),
    ):
        assert message in take(client, issue, "schedule", at=at, confirmed="1"), at
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.REVIEW
    take(client, issue, "schedule", at=local(timezone.now() + timedelta(days=1)), confirmed="1")
    assert "不能晚于一年之后" in take(client, issue, "reschedule", at="9999-12-31T10:00")


def test_once_live_the_time_can_no_longer_be_changed(reviewer):
    issue = ready_issue()
    at = timezone.now() + timedelta(hours=1)
    steps.perform(issue, "schedule", by=reviewer, at=at)
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        issue = Issue.objects.get(pk=issue.pk)
        assert "reschedule" not in {t.name for t in steps.available_transitions(issue, reviewer)}
        with pytest.raises(steps.TransitionRefused, match="已经上线"):
            steps.perform(issue, "unschedule", by=reviewer)
        with pytest.raises(steps.TransitionRefused, match="已经上线"):
            steps.perform(issue, "reschedule", by=reviewer, at=at + timedelta(days=1))
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED
