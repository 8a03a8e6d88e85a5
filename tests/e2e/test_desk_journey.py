"""The desk, in Chromium: an editor's draft; the reviewer's comment anchored to a sentence in
the preview, naming the editor; the editor's reply and fix (the passage marked 原文已修改);
resolve; approve; the issuing leader's 签发; publish; and the leader reads 签发：周所长 on the
issue's masthead. No console errors on the way (the comments' script runs under the CSP)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import admin_login, import_word_issue, screenshot, staff_window

pytestmark = pytest.mark.e2e

# A year of its own: no other journey's issue waits before or after it.
YEAR, NUMBER = "2025", "1"
FIXED = "（已核实）"


def window(browser, errors):
    page = staff_window(browser)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


# Select the first sentence of the preview's second paragraph (the first is in the summary
# too, where the fix would leave it), as a mouse would; return it.
SELECT_FIRST_SENTENCE = """() => {
  const paragraph = [...document.querySelectorAll("main article .rich-text p")]
    .filter((p) => p.textContent.includes("。"))[1];
  const node = paragraph.firstChild;
  const end = node.nodeValue.indexOf("。") + 1;
  const range = document.createRange();
  range.setStart(node, 0);
  range.setEnd(node, end);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
  return node.nodeValue.slice(0, end);
}"""

# The editor's fix: the sentence rewritten in CKEditor, as typing would leave it.
FIX_SENTENCE = """([sentence, fixed]) => {
  const editor = document.querySelector(".ck-editor__editable").ckeditorInstance;
  editor.setData(editor.getData().replace(sentence, sentence.replace("。", fixed + "。")));
}"""


def test_a_draft_through_comments_sign_off_and_publication(base_url, browser, tmp_path):
    errors = []
    editor = window(browser, errors)
    admin_login(editor, base_url, "editor")

    # 1. The editor's draft issue, from the institute's Word file.
    import_word_issue(editor, base_url, tmp_path, YEAR, NUMBER)
    issue_url = editor.url
    editor.locator(".arrange-article a").first.click()
    article_url = editor.url
    preview_url = article_url.replace("/change/", "/preview/")

    # 2. The reviewer selects a sentence in the preview and comments on it, naming the editor.
    reviewer = window(browser, errors)
    admin_login(reviewer, base_url, "reviewer")
    reviewer.goto(preview_url)
    sentence = reviewer.evaluate(SELECT_FIRST_SENTENCE)
    reviewer.get_by_role("button", name="批注", exact=True).click()
    expect(reviewer.locator("#comment-quote")).to_have_value(sentence)
    reviewer.fill("#comment-text", "@editor 这句的数据请再核实来源。")
    reviewer.get_by_role("button", name="发表批注").click()
    expect(reviewer.locator("mark.comment-mark").first).to_be_visible()
    screenshot(reviewer, "desk-journey-preview-comment")

    # 3. The editor finds it on the index, replies, and fixes the sentence; the leadership-only
    #    mark makes the issue one that needs 签发.
    editor.goto(f"{base_url}/admin/")
    waiting = editor.locator("#comments-waiting + ul")
    expect(waiting).to_contain_text("这句的数据请再核实来源")
    waiting.get_by_role("link").first.click()
    thread = editor.locator(".comment-thread").first
    expect(thread.locator(".comment-quote")).to_have_text(sentence)
    thread.locator("summary", has_text="回复").click()
    thread.locator(".comment-reply-form textarea").fill("已核实，按来源改正。")
    thread.get_by_role("button", name="回复", exact=True).click()
    expect(editor.locator(".comment-reply")).to_contain_text("已核实，按来源改正。")
    editor.evaluate(FIX_SENTENCE, [sentence, FIXED])
    editor.select_option("#id_visibility", "leadership")
    editor.locator("input[name=_continue]").click()
    expect(editor.locator(".messagelist")).to_contain_text("成功修改")
    expect(editor.locator(".comment-lost")).to_contain_text("原文已修改")
    editor.goto(issue_url)
    editor.get_by_role("button", name="提交审核", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("已提交审核")

    # 4. The reviewer resolves the thread and approves; publishing waits for 签发.
    reviewer.goto(article_url)
    reviewer.get_by_role("button", name="标为已解决").click()
    expect(reviewer.locator(".comment-state")).to_contain_text("已解决")
    reviewer.goto(issue_url)
    reviewer.get_by_role("button", name="全部通过（4 篇待审核）").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已审核通过 4 篇文章")
    reviewer.get_by_role("button", name="发布", exact=True).click()
    expect(reviewer.locator(".errornote")).to_contain_text("须经签发人签发")
    expect(reviewer.get_by_role("button", name="确认发布")).to_have_count(0)

    # 5. The issuing leader signs from their index.
    signer = window(browser, errors)
    admin_login(signer, base_url, "signer")
    signer.locator("#to-sign + ul").get_by_role("link").filter(
        has_text=f"{YEAR}年第{NUMBER}期"
    ).click()
    expect(signer.locator("#sign-off")).to_contain_text("待签发")
    signer.get_by_role("button", name="签发", exact=True).click()
    expect(signer.locator("#content-main")).to_contain_text("领导参阅文章")
    signer.get_by_role("button", name="确认签发").click()
    expect(signer.locator(".messagelist")).to_contain_text("已签发")
    screenshot(signer, "desk-journey-signed")

    # 6. The reviewer publishes; the confirmation names the signature.
    reviewer.goto(issue_url)
    reviewer.get_by_role("button", name="发布", exact=True).click()
    expect(reviewer.locator("#content-main")).to_contain_text("签发：已签发（周所长")
    reviewer.get_by_role("button", name="确认发布").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已发布")

    # 7. The leader reads the masthead, and the fixed sentence; no comment reaches them.
    leader = window(browser, errors)
    leader.goto(f"{base_url}/accounts/login/")
    leader.fill("#id_username", "leader")
    leader.fill("#id_password", "xuchang-demo")
    leader.click("button[type=submit]")
    leader.goto(f"{base_url}/issues/{YEAR}/{NUMBER}/")
    expect(leader.locator(".issue-signer")).to_have_text("签发：周所长")
    page = leader.content()
    assert "这句的数据请再核实来源" not in page and "comments.js" not in page
    screenshot(leader, "desk-journey-masthead")

    # 8. Withdrawn again (撤回), so that the demo's sample stays the latest issue for the
    #    journeys after this one.
    reviewer.goto(issue_url)
    reviewer.fill("#comment-withdraw", "演示流程结束，撤回本期。")
    reviewer.get_by_role("button", name="撤回", exact=True).click()
    reviewer.get_by_role("button", name="确认撤回").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("已撤回")

    assert errors == []
