"""截稿 reminders: editors with drafts in an issue hear of its deadline two days before, once."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications.schedule import run_periodic_jobs
from tests.factories import ArticleFactory, IssueFactory
from tests.notifications.helpers import MAIL_TEST, addresses

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def test_editors_with_drafts_are_reminded_two_days_before_once(
    editor, other_editor, reviewer, smtp_server, worker
):
    today = timezone.localdate()
    issue = IssueFactory(year=2026, number=5, theme="储能专题", deadline=today + timedelta(days=2))
    first = ArticleFactory(issue=issue, created_by=editor, title="储能草稿一", position=1)
    second = ArticleFactory(issue=issue, created_by=editor, title="储能草稿二", position=2)
    # Approved, or in review: nothing left to write.
    ArticleFactory(issue=issue, created_by=other_editor, status=Article.Status.APPROVED, position=3)
    ArticleFactory(issue=issue, created_by=reviewer, status=Article.Status.REVIEW, position=4)
    later = IssueFactory(year=2026, number=6, deadline=today + timedelta(days=3))
    ArticleFactory(issue=later, created_by=other_editor, title="下一期的草稿")
    # A published issue has no deadline left to meet.
    gone = IssueFactory(
        year=2026, number=4, status=Issue.Status.PUBLISHED, deadline=today + timedelta(days=1)
    )
    ArticleFactory(issue=gone, created_by=other_editor, title="不该提醒")

    run_periodic_jobs()
    run_periodic_jobs()
    worker()
    assert addresses(smtp_server) == [editor.email]
    [mail] = smtp_server
    assert "截稿提醒" in mail["Subject"] and "2026年第5期" in mail["Subject"]
    body = mail.get_content()
    assert "储能专题" in body and "2天后" in body
    for article in (first, second):
        url = reverse("admin:articles_article_change", args=[article.pk])
        assert f"- {article.title}" in body and f"{settings.SITE_URL}{url}" in body

    # The next day: the first issue's reminder went already; the later issue's is due now.
    smtp_server.clear()
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        run_periodic_jobs()
        run_periodic_jobs()
        worker()
    assert addresses(smtp_server) == [other_editor.email]
    assert "下一期的草稿" in smtp_server[0].get_content()

    # A moved deadline is a new one to remind of.
    smtp_server.clear()
    issue.deadline = today + timedelta(days=1)
    issue.save()
    run_periodic_jobs()
    worker()
    assert addresses(smtp_server) == [editor.email]
    assert "明天" in smtp_server[0].get_content()
