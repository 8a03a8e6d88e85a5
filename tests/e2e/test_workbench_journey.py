"""From the Word file to the reader, in Chromium: the editor imports and arranges the issue and
submits it, the chief editor returns one article with a reason, approves, proofs the PDF and
publishes after the confirmation, and a reader sees the new order."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.wordimport.documents import build

pytestmark = pytest.mark.e2e

YEAR, NUMBER = "2026", "7"
TITLES = [  # the sample issue's articles, in the Word file's order
    "我国综合科技创新水平持续提升",
    "中国航空创新创业大赛展现民营企业科创活力",
    "深圳：打好“服务牌”、企业“加速跑”",
    "四大新功能让生成式AI“如虎添翼”",
]


def window(browser, width=1366, height=900):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    return context.new_page()


def admin_login(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def take_step(page, label):
    page.get_by_role("button", name=label, exact=True).click()


def test_from_the_word_file_to_the_reader(base_url, browser, tmp_path):
    # 1. The editor imports the issue, arranges it and submits it.
    editor = window(browser)
    admin_login(editor, base_url, "editor")
    editor.goto(f"{base_url}/admin/issues/issue/")
    editor.get_by_role("link", name="从 Word 导入").click()
    docx = tmp_path / "竞争情报快递.docx"
    docx.write_bytes(build())
    editor.set_input_files("input[type=file]", str(docx))
    editor.get_by_role("button", name="上传并预览").click()
    for title in TITLES:
        expect(editor.get_by_text(title, exact=True).first).to_be_visible()
    editor.fill("input[name=year]", YEAR)
    editor.fill("input[name=number]", NUMBER)
    screenshot(editor, "workbench-import-preview")
    editor.get_by_role("button", name="确认导入").click()
    expect(editor.locator(".messagelist")).to_contain_text("4")
    issue_url = editor.url

    # The second article goes first (one ↓ on the first).
    first = editor.locator(".arrange-article", has_text=TITLES[0])
    first.get_by_role("button", name="↓").click()
    expect(editor.locator(".messagelist")).to_contain_text("已保存编排")
    order = editor.locator(".arrange-section").first.locator(".arrange-title a")
    expect(order.first).to_have_text(TITLES[1])
    screenshot(editor, "workbench-arranged")

    article_urls = [
        editor.locator(".arrange-title a", has_text=title).get_attribute("href") for title in TITLES
    ]
    for url in article_urls:
        editor.goto(f"{base_url}{url}")
        take_step(editor, "提交审核")
        expect(editor.locator(".messagelist")).to_contain_text("已提交审核")
    editor.goto(issue_url)
    take_step(editor, "提交审核")
    expect(editor.locator(".messagelist")).to_contain_text("已提交审核")

    # 2. The chief editor returns one article with a reason the editor can read.
    reviewer = window(browser)
    admin_login(reviewer, base_url, "reviewer")
    reviewer.goto(f"{base_url}{article_urls[2]}")
    reviewer.fill("textarea[name=comment]", "请补充深圳“助企行”的服务企业数量。")
    take_step(reviewer, "退回修改")
    expect(reviewer.locator(".messagelist")).to_contain_text("已退回修改")

    editor.goto(f"{base_url}{article_urls[2]}")
    reason = editor.locator(".workflow-returned")
    expect(reason).to_contain_text("请补充深圳“助企行”的服务企业数量。")
    # Readable: dark text on a light box, not on the admin's dark blue.
    colours = reason.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert _contrast(*colours) >= 4.5, colours
    screenshot(editor, "workflow-panel-returned-1366")
    phone = window(browser, 375, 740)
    admin_login(phone, base_url, "editor")
    phone.goto(f"{base_url}{article_urls[2]}")
    expect(phone.locator(".workflow-returned")).to_be_visible()
    screenshot(phone, "workflow-panel-returned-375")
    take_step(editor, "提交审核")

    # Approves all, proofs the PDF, publishes after the confirmation.
    for url in article_urls:
        reviewer.goto(f"{base_url}{url}")
        take_step(reviewer, "审核通过")
        expect(reviewer.locator(".messagelist")).to_contain_text("已审核通过")
    reviewer.goto(issue_url)
    screenshot(reviewer, "workflow-panel-review-1366")
    proof = reviewer.locator("a", has_text="校样 PDF").get_attribute("href")
    response = reviewer.request.get(f"{base_url}{proof}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    take_step(reviewer, "发布")
    expect(reviewer.locator("#content-main")).to_contain_text("本期 4 篇文章将随期刊发布")
    expect(reviewer.locator("#content-main")).to_contain_text("位订户将收到新一期邮件通知")
    reviewer.get_by_role("button", name="确认发布").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已发布")

    # 3. A reader sees the new order.
    reader = window(browser, 375, 740)
    reader.goto(f"{base_url}/accounts/login/")
    reader.fill("#id_username", "leader")
    reader.fill("#id_password", "xuchang-demo")
    reader.locator("form button[type=submit], form input[type=submit]").first.click()
    reader.goto(f"{base_url}/issues/{YEAR}/{NUMBER}/")
    text = reader.locator("main").inner_text()
    positions = [text.index(title) for title in [TITLES[1], TITLES[0], TITLES[2], TITLES[3]]]
    assert positions == sorted(positions)
    screenshot(reader, "workbench-reader-new-order")


def _contrast(foreground, background):
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def luminance(colour):
        red, green, blue = (int(v) / 255 for v in re.findall(r"\d+(?:\.\d+)?", colour)[:3])
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
