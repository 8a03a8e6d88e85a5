"""Issues go out in order, and the numbers say so: publishing or scheduling an issue ahead of an
earlier-numbered one of the same year is asked on the confirmation page, with the total numbers
each will get, and needs its own tick box; without it nothing changes."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import steps
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

NOW = "2024-03-01 10:00 +0800"


def ready(number, **kwargs):
    issue = IssueFactory(year=2024, number=number, status=Issue.Status.REVIEW, **kwargs)
    ArticleFactory(issue=issue, status=Article.Status.APPROVED)
    return issue


def take(client, issue, name, **data):
    url = reverse("admin:issues_issue_transition", args=[issue.pk, name])
    return client.post(url, data, follow=True).content.decode()


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def twelve_out():
    """Twelve issues have gone out (the last one last year): the next is 总第13期."""
    return IssueFactory(
        year=2023,
        number=12,
        total_number=12,
        status=Issue.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=30),
        went_live_at=timezone.now() - timedelta(days=30),
    )


@time_machine.travel(NOW, tick=False)
def test_publishing_ahead_asks_with_the_numbers_and_needs_the_box(
    client, reviewer, twelve_out, django_capture_on_commit_callbacks
):
    first = ready(1)
    second = ready(2)
    client.force_login(reviewer)

    question = take(client, second, "publish")

    assert "2024年更早的第1期（待审核）尚未发布" in question
    assert "本期将为总第13期；第1期发布时将为总第14期" in question
    assert 'name="out_of_order"' in question
    assert "确认发布" in question

    # Confirmed without the box: the step itself refuses, and nothing changes.
    refused = take(client, second, "publish", confirmed="1")
    assert "第1期（待审核）尚未发布" in refused
    assert Issue.objects.get(pk=second.pk).status == Issue.Status.REVIEW
    assert not TransitionLog.objects.exists()
    with pytest.raises(steps.TransitionRefused, match="第1期"):
        steps.publish_issue(second, by=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        done = take(client, second, "publish", confirmed="1", out_of_order="1")
    assert "已发布" in done
    second.refresh_from_db()
    assert (second.status, second.total_number) == (Issue.Status.PUBLISHED, 13)

    # The earlier one then goes out with the number the page announced.
    with django_capture_on_commit_callbacks(execute=True):
        take(client, first, "publish", confirmed="1")
    first.refresh_from_db()
    assert (first.status, first.total_number) == (Issue.Status.PUBLISHED, 14)


@time_machine.travel(NOW, tick=False)
def test_scheduling_ahead_asks_too(client, reviewer, twelve_out):
    ready(1)
    second = ready(2)
    client.force_login(reviewer)
    at = local(timezone.now() + timedelta(days=1))

    question = take(client, second, "schedule", at=at)
    assert "本期将为总第13期；第1期发布时将为总第14期" in question
    assert 'name="out_of_order"' in question

    take(client, second, "schedule", at=at, confirmed="1")
    assert Issue.objects.get(pk=second.pk).status == Issue.Status.REVIEW
    take(client, second, "schedule", at=at, confirmed="1", out_of_order="1")
    assert Issue.objects.get(pk=second.pk).is_scheduled


@time_machine.travel(NOW, tick=False)
def test_no_question_when_the_earlier_issues_are_out_withdrawn_or_due_first(
    client, reviewer, twelve_out
):
    IssueFactory(year=2024, number=1, status=Issue.Status.WITHDRAWN)
    IssueFactory(
        year=2024, number=2, status=Issue.Status.PUBLISHED, published_at=timezone.now()
    )  # live
    soon = timezone.now() + timedelta(hours=1)
    IssueFactory(year=2024, number=3, status=Issue.Status.PUBLISHED, published_at=soon)
    IssueFactory(year=2023, number=20, status=Issue.Status.REVIEW)  # another year
    fourth = ready(4)
    client.force_login(reviewer)

    # Scheduled after 第3期's time: in order.
    question = take(client, fourth, "schedule", at=local(soon + timedelta(hours=1)))
    assert "确认定时发布" in question
    assert 'name="out_of_order"' not in question

    # Now, before 第3期 goes live: out of order.
    question = take(client, fourth, "publish")
    assert "第3期（定时 03月01日 11:00）尚未发布" in question
    assert 'name="out_of_order"' in question


@time_machine.travel(NOW, tick=False)
def test_a_number_set_by_the_reviewer_is_the_one_announced(client, reviewer, twelve_out):
    ready(1, total_number=20)
    second = ready(2)
    client.force_login(reviewer)
    # Going live takes the highest number plus one, a reserved one included (notifications.live).
    assert "本期将为总第21期；第1期发布时将为总第20期" in take(client, second, "publish")


@time_machine.travel(NOW, tick=False)
def test_moving_a_scheduled_issue_ahead_of_an_earlier_one_asks_too(client, reviewer, twelve_out):
    day = timedelta(days=1)
    first = ready(1)
    second = ready(2)
    steps.schedule_issue(first, by=reviewer, at=timezone.now() + 2 * day)
    steps.schedule_issue(second, by=reviewer, at=timezone.now() + 3 * day)
    client.force_login(reviewer)

    # Later still: in order, one step as before.
    assert "已修改定时" in take(client, second, "reschedule", at=local(timezone.now() + 4 * day))

    # Before 第1期's time: the question, and without the box nothing changes.
    ahead = local(timezone.now() + day)
    question = take(client, second, "reschedule", at=ahead)
    assert "第1期（定时 03月03日 10:00）尚未发布" in question
    assert "本期将为总第13期；第1期发布时将为总第14期" in question
    take(client, second, "reschedule", at=ahead, confirmed="1")
    assert local(Issue.objects.get(pk=second.pk).published_at) != ahead
    take(client, second, "reschedule", at=ahead, confirmed="1", out_of_order="1")
    assert local(Issue.objects.get(pk=second.pk).published_at) == ahead
