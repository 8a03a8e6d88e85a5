"""A change to a published article is a correction: a reviewer's, with a note readers see."""

import io

import pytest
from django.urls import reverse

from apps.articles.models import Article, Correction
from apps.issues.models import Issue
from apps.notifications.live import mark_live
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def published_article(reviewer):
    issue = IssueFactory(status=Issue.Status.REVIEW)
    article = ArticleFactory(
        issue=issue, status=Article.Status.APPROVED, title="产值报告", body="<p>产值增长12%。</p>"
    )
    # Whatever other issue of the year waits (test_issue_order.py covers the question).
    steps.publish_issue(issue, by=reviewer, out_of_order=True)
    mark_live()  # as after the publishing request's commit: readers have it now
    return Article.objects.get(pk=article.pk)


def form_data(client, article, **changes):
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = client.get(url).content.decode()
    import re

    version = re.search(r'name="edit_version" value="(\d+)"', page).group(1)
    data = {
        "title": article.title, "subtitle": "", "source": "", "author": "",
        "edit_version": version, "issue": article.issue_id, "section": article.section_id,
        "position": article.position, "visibility": article.visibility,
        "summary": article.summary, "body": article.body,
    }  # fmt: skip
    data.update(changes)
    return url, data


def test_editing_a_published_article_needs_a_note_that_readers_see(client, reviewer):
    article = published_article(reviewer)
    client.force_login(reviewer)
    url, data = form_data(client, article, body="<p>产值增长21%。</p>")
    refused = client.post(url, data)
    assert refused.status_code == 200 and "更正说明" in refused.content.decode()
    assert Article.objects.get(pk=article.pk).body == "<p>产值增长12%。</p>"

    data["correction_note"] = "第一段增长率应为21%。"
    assert client.post(url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).body == "<p>产值增长21%。</p>"
    [correction] = Correction.objects.filter(article=article)
    assert (correction.note, correction.by) == ("第一段增长率应为21%。", reviewer)

    reader = SubscriberFactory().user
    client.force_login(reader)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "更正" in page and "第一段增长率应为21%。" in page
    printed = client.get(
        reverse("reader:issue_print", args=[article.issue.year, article.issue.number])
    )
    assert "第一段增长率应为21%。" in printed.content.decode()


def test_the_pdf_carries_the_correction(client, reviewer):
    from pypdf import PdfReader

    article = published_article(reviewer)
    Correction.objects.create(article=article, note="数据来源已更新。", by=reviewer)
    client.force_login(SubscriberFactory().user)
    response = client.get(
        reverse("reader:issue_pdf", args=[article.issue.year, article.issue.number])
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "数据来源已更新" in text


def test_restoring_an_old_version_of_a_published_article_is_a_correction(client, reviewer):
    article = published_article(reviewer)
    first = article.history.earliest()
    article.body = "<p>改过的正文。</p>"
    article.save()
    client.force_login(reviewer)
    url = reverse("admin:articles_article_simple_history", args=[article.pk, first.pk])
    _, data = form_data(client, article, body="<p>产值增长12%。</p>")
    refused = client.post(url, data)
    assert "更正说明" in refused.content.decode()
    assert not Correction.objects.exists()
    data["correction_note"] = "恢复为原先的数据。"
    assert client.post(url, data).status_code == 302
    assert Correction.objects.get().note == "恢复为原先的数据。"


def test_drafts_are_changed_without_a_note(client, editor):
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    url, data = form_data(client, article, title="新标题")
    assert client.post(url, data).status_code == 302
    assert not Correction.objects.exists()


def test_a_scheduled_issue_is_not_out_yet_and_a_withdrawn_one_was(client, reviewer):
    from datetime import timedelta

    from django.utils import timezone

    issue = IssueFactory(status=Issue.Status.REVIEW)
    article = ArticleFactory(issue=issue, status=Article.Status.APPROVED)
    steps.schedule_issue(issue, by=reviewer, at=timezone.now() + timedelta(days=1))
    client.force_login(reviewer)
    url, data = form_data(client, Article.objects.get(pk=article.pk), title="改过的标题")
    data.pop("correction_note", None)
    assert client.post(url, data).status_code == 302  # readers have not had it: no note
    assert not Correction.objects.exists()

    live = published_article(reviewer)
    issue = live.issue
    steps.withdraw_issue(issue, by=reviewer, comment="数据有误")
    steps.reopen_issue(issue, by=reviewer)
    url, data = form_data(client, Article.objects.get(pk=live.pk), title="修订后的标题")
    data.pop("correction_note", None)
    assert "更正说明" in client.post(url, data).content.decode()  # readers had it


def test_a_restore_does_not_take_a_live_issues_total_number(client, reviewer):
    article = published_article(reviewer)
    issue = Issue.objects.get(pk=article.issue_id)
    assert issue.total_number == 1
    client.force_login(reviewer)
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert 'name="total_number"' not in page  # read-only once live
