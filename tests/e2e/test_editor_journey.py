"""What an editor does in the back office, in Chromium, under the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_editor_writes_an_article_in_ckeditor_under_the_policy(base_url, desktop):
    page = desktop
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#work-queue")).to_be_visible()

    page.goto(f"{base_url}/admin/articles/article/add/")
    editable = page.locator(".ck-editor__editable").first
    expect(editable).to_be_visible()
    page.fill("#id_title", "浏览器中撰写的稿件")
    page.select_option("#id_section", index=1)
    editable.click()
    page.keyboard.type("储能产业持续升温。")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("浏览器中撰写的稿件")
    screenshot(page, "editor-article-saved-desktop")
    assert violations == []
