"""The editor in Chromium: headings look like headings, 字数 counts Chinese, a form too large
for the server is refused before it is sent, all under the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def editor_page(base_url, desktop):
    page = desktop
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
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
    expect(page.locator(".ck-editor__editable").first).to_be_visible()
    return page


def test_headings_stand_out_and_the_count_is_chinese(editor_page):
    page = editor_page
    editable = page.locator(".ck-editor__editable").first
    editable.click()
    page.keyboard.type("储能产业持续升温。")
    expect(page.locator(".ck-word-count__chinese").first).to_have_text("字数：9")
    expect(page.locator(".ck-word-count__words")).to_have_count(0)

    page.keyboard.press("Enter")
    page.keyboard.type("2024年锂电池产量增长21.5%")  # 8 Chinese characters, 2 numbers
    expect(page.locator(".ck-word-count__chinese").first).to_have_text("字数：19")

    page.evaluate(
        """() => {
            const editor = Object.values(window.editors)[0];
            editor.setData('<h2>二级标题</h2><h3>三级标题</h3><h4>四级标题</h4><p>正文</p>');
        }"""
    )
    style = page.evaluate(
        """() => Object.fromEntries(['h2', 'h3', 'h4', 'p'].map(tag => {
            const element = document.querySelector('.ck-editor__editable ' + tag);
            const computed = getComputedStyle(element);
            return [tag, [parseFloat(computed.fontSize), parseInt(computed.fontWeight, 10)]];
        }))"""
    )
    body_size = style["p"][0]
    assert style["h2"][0] > style["h3"][0] > style["h4"][0] > body_size
    assert style["h2"][0] >= 1.4 * body_size
    assert all(style[tag][1] >= 700 for tag in ("h2", "h3", "h4"))
    screenshot(page, "editor-headings-and-count-desktop")
    assert page.csp_violations == []


def test_a_form_too_large_for_the_server_is_refused_before_sending(editor_page):
    page = editor_page
    page.fill("#id_title", "超长的稿件")
    limit = int(page.locator("script[data-max-form-bytes]").get_attribute("data-max-form-bytes"))
    # What the editor holds reaches the form's textarea; set it there, beyond the limit.
    page.evaluate(
        """(length) => {
            document.querySelector('textarea.django_ckeditor_5').value =
                '<p>' + '中'.repeat(length) + '</p>';
        }""",
        limit // 3 + 1000,
    )
    requests = []
    page.on(
        "request", lambda request: requests.append(request) if request.method == "POST" else None
    )
    page.click("input[name=_save]")
    refusal = page.locator(".form-size-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("内容过长，没有提交")
    expect(refusal).to_contain_text("32.0 MB")
    assert requests == []  # nothing was sent
    expect(page.locator("#id_title")).to_have_value("超长的稿件")  # nothing typed is lost
    assert page.url.endswith("/admin/articles/article/add/")
    assert page.csp_violations == []


def test_a_long_article_is_sent_compactly_and_saved(editor_page):
    page = editor_page
    page.fill("#id_title", "两兆字节的稿件")
    page.select_option("#id_section", index=1)
    # About 2 MB of Chinese text: over the 5 MB limit once URL-encoded, well under it as sent.
    page.evaluate(
        """() => {
            const editor = Object.values(window.editors)[0];
            editor.setData('<p>' + '储能产业持续升温。'.repeat(80000) + '</p>');
        }"""
    )
    with page.expect_request(lambda request: request.method == "POST") as sent:
        page.click("input[name=_save]")
    assert sent.value.headers["content-type"].startswith("multipart/form-data")
    expect(page.locator(".messagelist")).to_contain_text("两兆字节的稿件")
