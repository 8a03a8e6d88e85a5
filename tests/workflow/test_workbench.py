"""The editors' workbench: what a new editor and a new chief editor meet on the change pages."""

import json

import pytest
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

BODY = "<h2>一、发展现状</h2><p>产值增长<strong>12%</strong>。</p>"


def change_page(client, obj):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return client.get(url).content.decode()


def test_a_read_only_body_shows_as_the_page_it_is(client, editor):
    article = ArticleFactory(created_by=editor, body=BODY)
    steps.submit_article(article, by=editor)  # in review: the editor may only read it
    client.force_login(editor)
    page = change_page(client, article)
    assert "<h2>一、发展现状</h2><p>产值增长<strong>12%</strong>。</p>" in page
    assert "&lt;h2&gt;" not in page


def test_a_read_only_editor_note_shows_as_the_page_it_is(client, editor, reviewer):
    issue = IssueFactory(created_by=reviewer, status=Issue.Status.PUBLISHED, editor_note=BODY)
    client.force_login(editor)
    page = change_page(client, issue)
    assert "<h2>一、发展现状</h2>" in page and "&lt;h2&gt;" not in page


def picker(client, term):
    url = reverse("admin:autocomplete")
    query = {"app_label": "articles", "model_name": "article", "field_name": "issue", "term": term}
    return [row["text"] for row in json.loads(client.get(url, query).content)["results"]]


def test_the_issue_picker_offers_what_an_editor_may_use_and_finds_labels(client, editor, reviewer):
    IssueFactory(year=2026, number=2, status=Issue.Status.DRAFT)
    IssueFactory(year=2025, number=2, status=Issue.Status.DRAFT)
    IssueFactory(year=2026, number=3, status=Issue.Status.PUBLISHED, total_number=9)
    client.force_login(editor)
    assert picker(client, "2026年第2期") == ["2026年第2期"]
    assert picker(client, "2026-2") == ["2026年第2期"]
    assert sorted(picker(client, "第2期")) == ["2025年第2期", "2026年第2期"]
    # A published issue is not offered to an editor (the form would refuse it).
    assert picker(client, "第3期") == []
    client.force_login(reviewer)
    assert picker(client, "总第9期") == ["2026年第3期（总第9期）"]


def test_the_return_reason_is_at_the_top_of_the_page(client, editor, reviewer):
    article = ArticleFactory(created_by=editor)
    steps.submit_article(article, by=editor)
    steps.send_back_article(article, by=reviewer, comment="请补充2025年的数据来源。")
    client.force_login(editor)
    page = change_page(client, article)
    reason = page.index("请补充2025年的数据来源。")
    assert page.index("退回修改原因") < reason < page.index('id="article_form"')
    # Submitted again: the note goes away from the top (it stays in the log).
    steps.submit_article(article, by=editor)
    page = change_page(client, article)
    assert "退回修改原因</strong>" not in page


def test_view_on_site_opens_the_preview_until_readers_can_see_it(client, reviewer):
    issue = IssueFactory(status=Issue.Status.REVIEW)
    article = ArticleFactory(issue=issue, status=Article.Status.APPROVED)
    client.force_login(reviewer)
    preview = reverse("admin:articles_article_preview", args=[article.pk])
    assert f'href="{preview}"' in change_page(client, article).split("在站点上查看")[0][-300:]
    steps.publish_issue(issue, by=reviewer)
    page = change_page(client, article)
    assert "/admin/r/" in page.split("在站点上查看")[0][-300:]
