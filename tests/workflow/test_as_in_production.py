"""Workflow steps and restore as a real request runs them: no test-wide transaction.

PostgreSQL is stricter than SQLite (column lengths, select_for_update outside a transaction),
and a test wrapped in one transaction hides the second. CI runs this file on both databases.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REASON = ("请补充数据来源并核对表格中的数字，" * 200)[:2000]

ARTICLE_STEPS = [
    ("submit", Article.Status.DRAFT, Article.Status.REVIEW),
    ("approve", Article.Status.REVIEW, Article.Status.APPROVED),
    ("send_back", Article.Status.REVIEW, Article.Status.DRAFT),
    ("reopen", Article.Status.APPROVED, Article.Status.DRAFT),
]
ISSUE_STEPS = [
    ("submit", Issue.Status.DRAFT, Issue.Status.REVIEW),
    ("send_back", Issue.Status.REVIEW, Issue.Status.DRAFT),
    ("publish", Issue.Status.REVIEW, Issue.Status.PUBLISHED),
    ("schedule", Issue.Status.REVIEW, Issue.Status.PUBLISHED),
    ("withdraw", Issue.Status.PUBLISHED, Issue.Status.WITHDRAWN),
    ("reopen", Issue.Status.WITHDRAWN, Issue.Status.DRAFT),
]


def take(client, obj, name, **data):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_transition", args=[obj.pk, name])
    return client.post(url, {"comment": REASON, "confirmed": "1", **data}, follow=True)


@pytest.mark.parametrize(("name", "source", "target"), ARTICLE_STEPS)
def test_every_article_step_keeps_a_2000_character_reason(client, reviewer, name, source, target):
    article = ArticleFactory(status=source)
    client.force_login(reviewer)
    assert take(client, article, name).status_code == 200
    assert Article.objects.get(pk=article.pk).status == target
    assert TransitionLog.objects.get(transition=name).comment == REASON


@pytest.mark.parametrize(("name", "source", "target"), ISSUE_STEPS)
def test_every_issue_step_keeps_a_2000_character_reason(client, reviewer, name, source, target):
    issue = IssueFactory(
        status=source,
        published_at=timezone.now() if source == Issue.Status.PUBLISHED else None,
    )
    article_state = {
        Issue.Status.REVIEW: Article.Status.APPROVED,
        Issue.Status.PUBLISHED: Article.Status.PUBLISHED,
    }.get(source, Article.Status.DRAFT)
    ArticleFactory(issue=issue, status=article_state)
    client.force_login(reviewer)
    later = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert take(client, issue, name, at=later).status_code == 200
    assert Issue.objects.get(pk=issue.pk).status == target
    # The issue's own row (its 提交审核 also logs each draft article it takes along).
    logs = TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Issue))
    assert logs.get(transition=name).comment == REASON


def test_restoring_a_version_works_outside_a_test_transaction(client, reviewer):
    article = ArticleFactory(status=Article.Status.DRAFT, title="第一稿", body="<p>第一稿正文</p>")
    first = article.history.latest()
    article.title, article.body = "第二稿", "<p>第二稿正文</p>"
    article.save()
    client.force_login(reviewer)
    url = reverse("admin:articles_article_simple_history", args=[article.pk, first.pk])
    form = client.get(url)
    assert form.status_code == 200
    current = Article.objects.get(pk=article.pk)
    data = {
        "title": "第一稿",
        "subtitle": "",
        "source": "",
        "author": "",
        "edit_version": current.version,
        "section": current.section_id,
        "position": current.position,
        "visibility": Article.Visibility.ALL,
        "summary": "",
        "body": "<p>第一稿正文</p>",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    restored = Article.objects.get(pk=article.pk)
    assert (restored.title, restored.body) == ("第一稿", "<p>第一稿正文</p>")
