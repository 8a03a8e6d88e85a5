"""From the pool to a draft article, in Chromium: the editor opens a draft issue, clips a story
and its reprint from the demo's bundled sites (添加链接), sees them folded into one row of the
素材库, adds the story to the issue (加入本期) and finds the draft article with its provenance;
adding the same story again asks first."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

YEAR, NUMBER = "2026", "8"  # after the reviewer's 第6期 and the workbench's 第7期
ISSUE = f"{YEAR}年第{NUMBER}期"
SECTION = "行业趋势"
# The demo's reprinted story (apps/demo/sources): 科技日报's original and 河南日报's reprint
# under another headline.
ORIGINAL = "demo-sources/kjrb/html/2024-01/08/content_5612301.htm"
TITLE = "许继集团柔性直流换流阀通过型式试验"
OPENING = "该集团自主研发的±800千伏柔性直流输电换流阀日前顺利通过全部型式试验"
REPRINT = "demo-sources/hnrb/html/2024-01/09/content_120418.htm"
REPRINT_TITLE = "许昌造换流阀再获突破 助力特高压柔直工程建设"


def window(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    return context.new_page()


def admin_login(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def clip(page, base_url, address):
    """添加链接 from the desk's list; lands on the new clipping's page."""
    page.goto(f"{base_url}/admin/intake/clipping/")
    page.get_by_role("link", name="添加链接").click()
    page.fill("input[name=url]", address)
    page.get_by_role("button", name="抓取并添加").click()
    expect(page.locator(".messagelist")).to_contain_text("已添加素材")


def test_from_the_pool_to_a_draft_article(base_url, browser):
    editor = window(browser)
    admin_login(editor, base_url, "editor")

    # 1. A draft issue to add to (the demo has none).
    editor.goto(f"{base_url}/admin/issues/issue/add/")
    editor.fill("input[name=year]", YEAR)
    editor.fill("input[name=number]", NUMBER)
    editor.get_by_role("button", name="保存并继续编辑").click()
    expect(editor.locator(".messagelist")).to_contain_text(ISSUE)
    expect(editor.get_by_text("当前状态：草稿")).to_be_visible()
    issue_url = editor.url

    # 2. The story, clipped by its address: its page shows what the extractor read.
    original = f"{base_url}/{ORIGINAL}"
    clip(editor, base_url, original)
    clipping_url = editor.url
    text = editor.locator("article.clipping-text")
    expect(text.locator("h2")).to_have_text(TITLE)
    expect(text).to_contain_text(OPENING)
    expect(text.get_by_role("link", name="打开原文")).to_have_attribute("href", original)
    source_name = editor.locator(".field-source_name .readonly").inner_text().strip()
    assert source_name == "科技日报", source_name  # the site's name, not its address
    expect(editor.locator("#id_summary")).not_to_be_empty()
    expect(editor.locator("#content-main")).to_contain_text("自动生成")
    industries = editor.locator("input[name=industries][type=checkbox]")
    expect(industries.first).to_be_visible()
    expect(editor.locator("input[name=industries]:checked").first).to_be_checked()
    screenshot(editor, "intake-journey-clipping")

    # 3. Its reprint joins it: one row on the desk, the reprint folded under it.
    clip(editor, base_url, f"{base_url}/{REPRINT}")
    expect(editor.locator("article.clipping-text h2")).to_have_text(REPRINT_TITLE)
    editor.goto(f"{base_url}/admin/intake/clipping/")
    rows = editor.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".desk-reprints")).to_contain_text("另有 1 家转载")
    screenshot(editor, "intake-journey-desk")

    # 4. 加入本期: the issue and a section, confirmed once, make a draft article.
    editor.goto(clipping_url)
    editor.get_by_role("link", name="加入本期").click()
    editor.locator("select[name=issue]").select_option(label=ISSUE)
    editor.locator("select[name=section]").select_option(label=SECTION)
    screenshot(editor, "intake-journey-adopt")
    editor.get_by_role("button", name="确认加入").click()
    expect(editor.locator(".messagelist")).to_contain_text(f"生成草稿文章《{TITLE}》")
    article_url = editor.url
    expect(editor.locator("input[name=title]")).to_have_value(TITLE)
    expect(editor.locator("input[name=source]")).to_have_value(source_name)
    body = editor.locator("textarea[name=body]").input_value()
    assert OPENING in body, body
    assert f'原文链接：<a href="{original}">' in body, body
    # The photo was fetched and stored here, not hot-linked from the original site.
    photo = editor.locator(".field-body img").first
    expect(photo).to_have_attribute("src", re.compile(r"^/media/"))
    provenance = editor.get_by_role("region", name="素材来源")
    expect(provenance).to_contain_text(TITLE)
    screenshot(editor, "intake-journey-article")

    # Back on the desk, the story is 已采用, with the way to its article.
    editor.goto(f"{base_url}/admin/intake/clipping/")
    expect(rows.first.locator(".desk-state")).to_have_text("已采用")
    editor.goto(clipping_url)
    used = editor.get_by_role("region", name="素材操作")
    expect(used).to_contain_text("已采用为文章")
    expect(used.get_by_role("link", name=f"《{TITLE}》")).to_have_attribute(
        "href", article_url.removeprefix(base_url)
    )

    # 5. The reprint of the same story: 加入本期 asks first, naming the article; cancelled.
    editor.goto(f"{base_url}/admin/intake/clipping/")
    rows.first.locator(".desk-reprints a").click()
    expect(editor.locator("article.clipping-text h2")).to_have_text(REPRINT_TITLE)
    editor.get_by_role("link", name="加入本期").click()
    expect(editor.locator("#content-main")).to_contain_text(
        f"同一报道已有稿件加入为文章：《{TITLE}》"
    )
    editor.locator("select[name=issue]").select_option(label=ISSUE)
    editor.locator("select[name=section]").select_option(label=SECTION)
    editor.get_by_role("button", name="确认加入").click()
    expect(editor.locator(".errornote")).to_contain_text(f"已加入为文章 《{TITLE}》")
    screenshot(editor, "intake-journey-asks-again")
    editor.get_by_role("link", name="取消").click()
    expect(editor.locator("article.clipping-text h2")).to_have_text(REPRINT_TITLE)
    # Nothing was added: the issue holds the one article.
    editor.goto(issue_url)
    expect(editor.locator(".arrange-title a")).to_have_count(1)
    expect(editor.locator(".arrange-title a")).to_have_text(TITLE)
