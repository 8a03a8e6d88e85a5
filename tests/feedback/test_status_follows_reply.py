"""A reply handles the feedback: its status says 已处理 and handled_at says when."""

import importlib

import pytest
import time_machine
from django.apps import apps as global_apps
from django.urls import reverse
from django.utils import timezone

from apps.feedback.models import Feedback
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback():
    reader = SubscriberFactory(user__username="firm1").user
    return Feedback.objects.create(author=reader, message="建议增加储能专题。")


def change_url(feedback):
    return reverse("admin:feedback_feedback_change", args=[feedback.pk])


def test_staff_replying_in_the_admin_handle_the_feedback(client, reviewer, feedback):
    client.force_login(reviewer)
    form = {"status": "new", "reply": "已列入下期选题，谢谢。", "assignee": ""}
    assert client.post(change_url(feedback), form).status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.HANDLED
    assert feedback.handled_at is not None
    assert feedback.assignee == reviewer
    page = client.get(reverse("admin:feedback_feedback_changelist")).content.decode()
    assert "已处理" in page


def test_a_reply_saved_anywhere_handles_the_feedback(feedback):
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        feedback.reply = "谢谢您的建议。"
        feedback.save(update_fields=["reply"])
    feedback.refresh_from_db()
    assert (feedback.status, feedback.handled_at) == (Feedback.Status.HANDLED, moment)

    # A later edit of the reply keeps the time it was first handled.
    with time_machine.travel(moment + timezone.timedelta(days=1), tick=False):
        feedback.reply = "谢谢您的建议，已采纳。"
        feedback.save()
    feedback.refresh_from_db()
    assert feedback.handled_at == moment


def test_a_blank_reply_leaves_the_feedback_new(feedback):
    feedback.reply = "  \n "
    feedback.save()
    feedback.refresh_from_db()
    assert (feedback.status, feedback.handled_at) == (Feedback.Status.NEW, None)


def test_handled_without_a_reply_records_the_time_and_reopening_clears_it(feedback):
    feedback.status = Feedback.Status.HANDLED
    feedback.save()
    assert feedback.handled_at is not None
    feedback.status = Feedback.Status.NEW
    feedback.save()
    feedback.refresh_from_db()
    assert (feedback.status, feedback.handled_at) == (Feedback.Status.NEW, None)


def test_the_migration_marks_feedback_replied_before_handled(feedback):
    # As the previous release left it: replied, yet 新.
    Feedback.objects.filter(pk=feedback.pk).update(reply="已答复。", status="new")
    unanswered = Feedback.objects.create(author=feedback.author, message="另一条意见")
    migration = importlib.import_module("apps.feedback.migrations.0002_status_follows_reply")
    migration.mark_replied_feedback_handled(global_apps, None)
    feedback.refresh_from_db()
    unanswered.refresh_from_db()
    assert feedback.status == Feedback.Status.HANDLED and feedback.handled_at is not None
    assert unanswered.status == Feedback.Status.NEW and unanswered.handled_at is None
