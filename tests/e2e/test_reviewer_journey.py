"""One issue, one pass through review, in Chromium: an issue with four draft articles goes from
the editor's single 提交审核 to the chief editor's 全部通过 and 确认发布 in 5 page loads (the
editor's 提交审核; the reviewer's issue page, 全部通过, 发布's confirmation, 确认发布), where
it took about ten, one article at a time."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import admin_login, import_word_issue, screenshot, staff_window

pytestmark = pytest.mark.e2e

YEAR, NUMBER = "2026", "6"  # before the workbench journey's 第7期, so neither waits on the other
PAGE_LOADS = 5


def count_loads(page, loads):
    page.wait_for_load_state("load")  # the page before the count is not one of them
    page.on("load", lambda _: loads.append(page.url))


def test_one_issue_through_review_in_a_handful_of_page_loads(base_url, browser, tmp_path):
    # The editor's issue: four draft articles, from the institute's Word file (not counted).
    editor = staff_window(browser)
    admin_login(editor, base_url, "editor")
    import_word_issue(editor, base_url, tmp_path, YEAR, NUMBER)
    issue_url = editor.url
    reviewer = staff_window(browser)
    admin_login(reviewer, base_url, "reviewer")

    loads = []
    count_loads(editor, loads)
    count_loads(reviewer, loads)

    # 1. The editor's one 提交审核 sends the issue and its four articles.
    expect(editor.locator(".workflow-submit-with")).to_contain_text("同时提交本期的 4 篇草稿文章")
    editor.get_by_role("button", name="提交审核", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("已提交审核")
    expect(editor.locator(".arrange-status", has_text="待审核")).to_have_count(4)

    # 2. The chief editor approves all four from the issue's page…
    reviewer.goto(issue_url)
    screenshot(reviewer, "reviewer-journey-issue-in-review")
    reviewer.get_by_role("button", name="全部通过（4 篇待审核）").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已审核通过 4 篇文章")
    expect(reviewer.locator(".arrange-status", has_text="已审核")).to_have_count(4)

    # 3. …and publishes after the confirmation, which offers the step only because it holds.
    reviewer.get_by_role("button", name="发布", exact=True).click()
    expect(reviewer.locator("#content-main")).to_contain_text("本期 4 篇文章将随期刊发布")
    reviewer.get_by_role("button", name="确认发布").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已发布")
    expect(reviewer.get_by_text("当前状态：已发布")).to_be_visible()
    screenshot(reviewer, "reviewer-journey-published")

    assert len(loads) <= PAGE_LOADS, loads
