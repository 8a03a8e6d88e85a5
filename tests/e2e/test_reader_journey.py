"""What a subscriber does, in Chromium, on a phone and on a desktop."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def sign_in(page, base_url, username="leader"):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    page.click("button[type=submit]")
    expect(page.locator(".issue-masthead")).to_have_text("许昌竞争情报快递")


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def no_inline_scripts(page):
    """Pages must keep working under `script-src 'self'`: no inline code, no on… attributes."""
    return page.evaluate(
        """() => [...document.scripts].every(s => s.src)
            && ![...document.querySelectorAll('*')].some(
                el => [...el.attributes].some(a => a.name.startsWith('on')))"""
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_subscriber_reads_searches_and_prints(request, base_url, device):
    page = request.getfixturevalue(device)
    sign_in(page, base_url)

    # The latest issue, as the bulletin presents it.
    page.click("text=本期全文目录")
    expect(page.locator(".issue-numbers")).to_contain_text("2023年第12期")
    assert no_horizontal_overflow(page)
    assert no_inline_scripts(page)
    screenshot(page, f"issue-{device}")

    # Jump to a section, then read an article.
    page.click(".section-index >> text=行业报告")
    expect(page).to_have_url(re.compile(r"#section-industry-reports$"))
    page.click("text=四大新功能让生成式AI“如虎添翼”")
    expect(page.locator("h1")).to_have_text("四大新功能让生成式AI“如虎添翼”")
    expect(page.locator(".rich-text h3").first).to_have_text("深度学习加聊天")
    assert no_horizontal_overflow(page)

    # A larger font, remembered on the next page.
    before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("[data-font-step='1']")
    after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after > before
    with page.expect_navigation():
        page.click(".neighbours a")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == after
    page.click("[data-font-step='-1']")

    # Search in Chinese and open a result.
    page.goto(f"{base_url}/search/")
    page.fill("#search-q", "科技创新")
    page.click(".search-box button")
    expect(page.locator(".search-result mark").first).to_be_visible()
    page.click(".search-result h2 a >> nth=0")
    expect(page.locator("h1")).to_have_text("我国综合科技创新水平持续提升")

    # The print layout, with the reader's mark.
    page.goto(f"{base_url}/issues/2023/12/print/")
    expect(page.locator(".internal-notice")).to_have_text("内部资料　注意保存")
    expect(page.locator(".reader-mark")).to_contain_text("许昌市人民政府")
    assert no_inline_scripts(page)


def test_phone_pages_do_not_scroll_sideways(base_url, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = context.new_page()
    sign_in(phone, base_url, "enterprise")
    for path in [
        "/",
        "/issues/",
        "/industries/",
        "/industries/new-materials/",
        "/search/?q=企业",
        "/feedback/",
        "/accounts/profile/",
        "/articles/3/",
    ]:
        phone.goto(base_url + path)
        assert no_horizontal_overflow(phone), path
        assert no_inline_scripts(phone), path
    screenshot(phone, "article-phone-360")
    context.close()


def test_anonymous_visitor_is_sent_to_login(base_url, phone):
    phone.goto(f"{base_url}/issues/2023/12/")
    assert re.search(r"/accounts/login/\?next=", phone.url)
    expect(phone.locator("h1")).to_have_text("订户登录")
