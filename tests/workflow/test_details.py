"""The small things of the back office: a new article's position, History's 说明, and what a
section move reports."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Section
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def new_article(issue, section, **overrides):
    data = {
        "title": "新加的文章",
        "subtitle": "",
        "source": "",
        "author": "",
        "issue": str(issue.pk),
        "section": str(section.pk),
        "position": "",
        "visibility": Article.Visibility.ALL,
        "summary": "",
        "body": "<p>正文</p>",
    }
    data.update(overrides)
    return data


def test_a_new_article_in_an_issue_gets_the_sections_next_free_position(client, editor):
    section = Section.objects.order_by("order").first()
    issue = IssueFactory(created_by=editor)
    for position in (1, 2, 5):
        ArticleFactory(issue=issue, section=section, position=position, created_by=editor)
    client.force_login(editor)

    # The issue page's "＋ 在此栏目添加文章" opens a form that proposes no taken number.
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    add_url = re.search(r'href="([^"]+)" class="arrange-add"', page).group(1)
    form = client.get(add_url.replace("&amp;", "&")).content.decode()
    assert re.search(r'name="position"[^>]*value="1"', form) is None
    assert "留空则排在该栏目最后" in form

    response = client.post(reverse("admin:articles_article_add"), new_article(issue, section))
    assert response.status_code == 302, response.content.decode()
    assert Article.objects.get(title="新加的文章").position == 6

    # Another section of the same issue starts at 1; a number typed in is kept.
    other = Section.objects.order_by("order")[1]
    client.post(reverse("admin:articles_article_add"), new_article(issue, other, title="另一栏"))
    assert Article.objects.get(title="另一栏").position == 1
    client.post(
        reverse("admin:articles_article_add"),
        new_article(issue, section, title="指定序号", position="3"),
    )
    assert Article.objects.get(title="指定序号").position == 3


def article_form(client, article, **changes):
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = client.get(url).content.decode()
    version = re.search(r'name="edit_version" value="(\d+)"', page).group(1)
    data = {
        "title": article.title, "subtitle": "", "source": "", "author": "",
        "edit_version": version, "issue": article.issue_id, "section": article.section_id,
        "position": article.position, "visibility": article.visibility,
        "summary": article.summary, "body": article.body,
    }  # fmt: skip
    data.update(changes)
    return url, data


def history_notes(client, article):
    page = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    return page.content.decode()


def test_history_says_what_a_correction_and_a_restore_were(client, reviewer):
    went_live = timezone.now() - timedelta(days=1)
    issue = IssueFactory(
        status=Issue.Status.PUBLISHED, published_at=went_live, went_live_at=went_live
    )
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="第一稿")
    article.title = "第二稿"
    article.save()
    client.force_login(reviewer)

    url, data = article_form(client, article, body="<p>改正后的正文</p>")
    data["correction_note"] = "第二段数据有误，已改正。"
    assert client.post(url, data).status_code == 302
    assert "更正：第二段数据有误，已改正。" in history_notes(client, article)

    first = article.history.earliest()
    restore_url = reverse("admin:articles_article_simple_history", args=[article.pk, first.pk])
    _, data = article_form(client, Article.objects.get(pk=article.pk), title="第一稿")
    data["correction_note"] = "恢复原标题。"
    assert client.post(restore_url, data).status_code == 302

    page = history_notes(client, article)
    assert "恢复到第1版；更正：恢复原标题。" in page
    assert "第4版" in page and "第1版 ·" in page  # each version says which it is


def test_a_restore_of_a_draft_names_the_version(client, reviewer):
    article = ArticleFactory(title="一")
    for title in ("二", "三"):
        article.title = title
        article.save()
    second = article.history.order_by("history_id")[1]
    client.force_login(reviewer)
    restore_url = reverse("admin:articles_article_simple_history", args=[article.pk, second.pk])
    _, data = article_form(client, Article.objects.get(pk=article.pk), title="二")
    assert client.post(restore_url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).history.latest().history_change_reason == (
        "恢复到第2版"
    )


def test_moving_a_section_counts_the_articles_it_carries(client, editor):
    news, trends = Section.objects.order_by("order")[:2]
    issue = IssueFactory(created_by=editor)
    for position in (1, 2):
        ArticleFactory(issue=issue, section=news, position=position, created_by=editor)
    for position in (1, 2, 3):
        ArticleFactory(issue=issue, section=trends, position=position, created_by=editor)
    client.force_login(editor)
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    base = re.search(r'name="base" value="([^"]+)"', page).group(1).replace("&quot;", '"')

    response = client.post(
        reverse("admin:issues_issue_arrange", args=[issue.pk]),
        {"base": base, "action": f"section-down:{news.pk}"},
        follow=True,
    )

    assert "已保存编排（调整了 5 篇文章）" in response.content.decode()
