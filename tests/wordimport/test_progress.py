"""Upload and confirm buttons in the back office show progress and cannot be pressed twice.

One static script (static/admin-extra/busy-buttons.js), loaded on every admin page by
templates/admin/base_site.html (the policy allows no inline script), watches the forms that
upload a file or confirm a step. Here: every such page loads it and carries its hooks; the
browser's behaviour is in tests/e2e/test_small_things.py.
"""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory
from tests.wordimport.test_import_view import preview_url, upload

pytestmark = pytest.mark.django_db

SCRIPT = '<script src="/static/admin-extra/busy-buttons.js" defer></script>'


def scripts_are_files(page):
    """Every script on the page is a file of the site's own (the policy runs no other)."""
    tags = re.findall(r"<script\b[^>]*>", page)
    return tags and all(re.search(r'src="/static/', tag) for tag in tags)


def test_the_script_says_what_is_happening_and_refuses_a_second_press():
    script = open(finders.find("admin-extra/busy-buttons.js"), encoding="utf-8").read()
    assert "正在上传…" in script and "正在处理…" in script
    assert "preventDefault" in script  # the second press
    assert (
        "input[type=file]" in script and "name=confirmed" in script and "process_import" in script
    )


def test_the_word_import_pages_load_it_with_their_hooks(client, editor, sample_docx):
    client.force_login(editor)
    page = client.get(reverse("issue_import_word")).content.decode()
    assert SCRIPT in page and scripts_are_files(page)
    assert 'enctype="multipart/form-data" novalidate data-busy-label="正在上传…"' in page

    page = client.get(preview_url(upload(client, sample_docx))).content.decode()
    assert SCRIPT in page
    assert 'data-busy-label="正在处理…"' in page


def test_a_steps_confirmation_page_loads_it(client, reviewer):
    issue = IssueFactory(status=Issue.Status.REVIEW)
    ArticleFactory(issue=issue, status=Article.Status.APPROVED)
    client.force_login(reviewer)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "publish"])
    page = client.post(url).content.decode()
    assert "确认发布" in page
    assert SCRIPT in page and scripts_are_files(page)
    assert '<input type="hidden" name="confirmed" value="1">' in page  # the script's hook


def test_the_subscriber_import_loads_it(subadmin_client):
    page = subadmin_client.get(reverse("admin:subscribers_subscriber_import")).content
    page = page.decode()
    assert SCRIPT in page
    assert 'type="file"' in page  # an upload: "正在上传…"
