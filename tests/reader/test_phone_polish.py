"""The phone polish that a test client can check: the leadership mark and the contact.

The browser checks (widths, tap targets, tables, weight) are in tests/e2e/test_phone.py.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

MARK = '<span class="leadership-mark">领导参阅</span>'
SITE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "site.css"


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2025, number=4)
    materials = Industry.objects.get(slug="new-materials")
    for position, (title, visibility) in enumerate(
        [("公开的文章", Article.Visibility.ALL), ("给领导的文章", Article.Visibility.LEADERSHIP)],
        start=1,
    ):
        article = ArticleFactory(
            issue=issue,
            position=position,
            title=title,
            visibility=visibility,
            status=Article.Status.PUBLISHED,
        )
        article.industries.set([materials])
    return issue


def reader_pages(issue):
    """The pages that list or show the leadership article, and how often each names it."""
    secret = Article.objects.get(title="给领导的文章")
    return [
        (reverse("reader:home"), 2),  # the issue's contents and the followed industries
        (issue.get_absolute_url(), 1),
        (reverse("reader:industry", args=["new-materials"]), 1),
        (secret.get_absolute_url(), 1),
    ]


def test_leaders_see_the_mark_beside_leadership_articles_only(client, issue, leader):
    leader.subscriber.industries.set(Industry.objects.filter(slug="new-materials"))
    client.force_login(leader)
    for url, times in reader_pages(issue):
        page = client.get(url).content.decode()
        assert page.count(MARK) == times, url  # the leadership article, not the other one
    issue_page = client.get(issue.get_absolute_url()).content.decode()
    assert re.search(r"给领导的文章<span class=\"leadership-mark\">", issue_page)
    assert not re.search(r"公开的文章<span class=\"leadership-mark\">", issue_page)


def test_others_never_get_the_leaders_cached_page(client, issue, leader, enterprise):
    """The issue and article pages are cached per audience: a leader's copy, mark included,
    is rendered first and must not reach an enterprise reader."""
    client.force_login(leader)
    assert MARK in client.get(issue.get_absolute_url()).content.decode()
    client.force_login(enterprise)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "领导参阅" not in page and "给领导的文章" not in page
    assert "公开的文章" in page


def test_staff_see_the_mark_too(client, issue):
    client.force_login(StaffFactory(username="desk"))
    assert MARK in client.get(issue.get_absolute_url()).content.decode()


def test_previews_show_the_mark_as_leaders_see_it(client, reviewer, editor):
    issue = IssueFactory(status=Issue.Status.REVIEW, created_by=editor)
    ArticleFactory(issue=issue, status=Article.Status.APPROVED, title="公开的文章", position=1)
    ArticleFactory(
        issue=issue, status=Article.Status.APPROVED, title="给领导的文章", position=2,
        visibility=Article.Visibility.LEADERSHIP,
    )  # fmt: skip
    client.force_login(reviewer)
    preview = reverse("admin:issues_issue_preview", args=[issue.pk])
    as_leaders = client.get(preview, {"as": "leadership"}).content.decode()
    assert as_leaders.count(MARK) == 1
    assert MARK not in client.get(preview, {"as": "all"}).content.decode()


@pytest.fixture
def lapsed(client):
    ended = timezone.localdate() - timedelta(days=2)
    user = SubscriberFactory(valid_from=ended - timedelta(days=30), valid_until=ended).user
    client.force_login(user)
    return client


def test_the_expired_page_names_whom_to_call_and_write_to(lapsed, settings):
    settings.SUBSCRIPTION_CONTACT = "如需续订，请与我们联系。"
    settings.SUBSCRIPTION_CONTACT_NAME = "信息服务部 王老师"
    settings.SUBSCRIPTION_CONTACT_PHONE = "0374 - 296 1234"
    settings.SUBSCRIPTION_CONTACT_EMAIL = "dingyue@example.cn"
    response = lapsed.get(reverse("reader:home"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "如需续订，请与我们联系。" in page  # the free text still comes first
    assert "信息服务部 王老师" in page
    assert '<a href="tel:03742961234">0374 - 296 1234</a>' in page
    assert '<a href="mailto:dingyue@example.cn">dingyue@example.cn</a>' in page


def test_an_unset_phone_or_address_leaves_its_line_out(lapsed, settings):
    settings.SUBSCRIPTION_CONTACT_NAME = ""
    settings.SUBSCRIPTION_CONTACT_PHONE = ""
    settings.SUBSCRIPTION_CONTACT_EMAIL = "dingyue@example.cn"
    page = lapsed.get(reverse("reader:home")).content.decode()
    assert "tel:" not in page and "电话" not in page and "联系</span>" not in page
    assert "mailto:dingyue@example.cn" in page
    settings.SUBSCRIPTION_CONTACT_EMAIL = ""
    page = lapsed.get(reverse("reader:home")).content.decode()
    assert 'class="contact"' not in page
    assert settings.SUBSCRIPTION_CONTACT in page


def test_tables_scroll_in_their_box_and_cells_keep_numbers_whole():
    """A stand-in for the browser test, for runs without Chromium: the rules are there."""
    css = SITE_CSS.read_text(encoding="utf-8")
    assert re.search(r"\.rich-text figure\.table[^{]*\{[^}]*overflow-x: auto", css)
    cells = re.search(r"\.rich-text td, \.rich-text th \{([^}]*)\}", css).group(1)
    assert "overflow-wrap: normal" in cells  # the body's `anywhere` split "26.4"
    assert "padding" in cells
