"""The office's own e-mails: review requests, decisions, feedback replies, expiry reminders."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.notifications.schedule import run_periodic_jobs
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory
from tests.notifications.helpers import MAIL_TEST, addresses, subscriber

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def test_submitting_tells_the_reviewers_and_the_decision_tells_the_author(
    reviewer, editor, smtp_server, worker, django_user_model
):
    article = ArticleFactory(issue=IssueFactory(), created_by=editor, title="关于储能产业的报告")
    steps.submit_article(article, by=editor)
    worker()
    [to_reviewer] = smtp_server
    assert to_reviewer["To"].addresses[0].addr_spec == reviewer.email
    assert "关于储能产业的报告" in to_reviewer["Subject"] and "提交审核" in to_reviewer["Subject"]
    body = to_reviewer.get_content()
    assert f"http://127.0.0.1:8000/admin/articles/article/{article.pk}/change/" in body

    smtp_server.clear()
    steps.send_back_article(article, by=reviewer, comment="数据来源请补充到2025年。")
    worker()
    [returned] = smtp_server
    assert returned["To"].addresses[0].addr_spec == editor.email
    assert "退回修改" in returned["Subject"]
    assert "退回原因：\n数据来源请补充到2025年。" in returned.get_content().replace("\r\n", "\n")

    smtp_server.clear()
    steps.submit_article(article, by=editor)
    steps.approve_article(article, by=reviewer)
    worker()
    assert addresses(smtp_server) == [editor.email, reviewer.email]
    [approved] = smtp_server.to(editor.email)
    assert "审核通过" in approved["Subject"]


def test_nobody_is_told_of_their_own_step_and_a_rolled_back_step_sends_nothing(
    reviewer, smtp_server, worker
):
    in_review = Article.Status.REVIEW
    article = ArticleFactory(issue=IssueFactory(), created_by=reviewer, status=in_review)
    steps.approve_article(article, by=reviewer)
    issue = IssueFactory(created_by=reviewer)  # no articles: publishing is refused
    steps.submit_issue(issue, by=reviewer)
    with pytest.raises(steps.TransitionRefused):
        steps.publish_issue(issue, by=reviewer)
    worker()
    assert smtp_server == []


def test_a_reply_to_feedback_is_mailed_once(client, reviewer, smtp_server, worker):
    reader = subscriber("firm1").user
    feedback = Feedback.objects.create(author=reader, message="建议增加储能专题。")
    client.force_login(reviewer)
    url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
    form = {"status": "handled", "reply": "已列入下期选题，谢谢。", "assignee": ""}
    client.post(url, form)
    worker()
    [message] = smtp_server
    assert message["To"].addresses[0].addr_spec == reader.email
    body = message.get_content()
    assert "建议增加储能专题。" in body and "已列入下期选题，谢谢。" in body
    assert "http://127.0.0.1:8000/feedback/" in body
    # Saving again without changing the reply sends nothing more.
    client.post(url, form)
    worker()
    assert len(smtp_server) == 1


def test_expiry_reminders_go_once_at_30_and_at_7_days(subadmin, smtp_server, worker):
    today = timezone.localdate()
    ending = subscriber("firm1", valid_until=today + timedelta(days=30))
    subscriber("later", valid_until=today + timedelta(days=60))
    run_periodic_jobs()
    run_periodic_jobs()
    worker()
    assert addresses(smtp_server) == sorted([ending.user.email, subadmin.email])
    [to_reader] = smtp_server.to(ending.user.email)
    assert "30天后到期" in to_reader["Subject"]
    [to_manager] = smtp_server.to(subadmin.email)
    assert "firm1" in to_manager.get_content() and "later" not in to_manager.get_content()

    smtp_server.clear()
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=False):
        run_periodic_jobs()  # 10 days left: nothing new
        worker()
        assert smtp_server == []
    with time_machine.travel(timezone.now() + timedelta(days=23), tick=False):
        run_periodic_jobs()
        run_periodic_jobs()
        worker()
    assert addresses(smtp_server) == sorted([ending.user.email, subadmin.email])
    assert "7天后到期" in smtp_server.to(ending.user.email)[0]["Subject"]
