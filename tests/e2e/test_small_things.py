"""The small things of issue 19 in Chromium: what only a browser shows.

Check boxes a finger can hit (the profile's were 13 px), the feedback form's count of
characters left, the industry page's 关注 button, and the back office's upload button that
says "正在上传…" and cannot be pressed twice. The same pages' markup is checked over HTTP in
tests/reader/test_small_things.py, tests/feedback/test_length.py and
tests/wordimport/test_progress.py.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_phone import MIN_TAP, sign_in, wechat_page
from tests.wordimport.documents import DOCX, build

pytestmark = pytest.mark.e2e

# For each check box: the box a finger may tap to tick it, its label's (which ticks it too)
# or its own, whichever is larger.
CHECK_BOX_TARGETS = """() => [...document.querySelectorAll('input[type=checkbox]')].map((box) => {
  const label = box.closest('label') || document.querySelector(`label[for="${box.id}"]`);
  const own = box.getBoundingClientRect();
  const around = label ? label.getBoundingClientRect() : own;
  return {
    name: box.name,
    box: [Math.round(own.width), Math.round(own.height)],
    width: Math.max(own.width, around.width),
    height: Math.max(own.height, around.height),
  };
})"""


def test_phone_check_boxes_counter_and_follow_button(browser, base_url):
    context, page = wechat_page(browser, 360)
    sign_in(page, base_url, "enterprise")

    page.goto(f"{base_url}/accounts/profile/")
    targets = page.evaluate(CHECK_BOX_TARGETS)
    assert len(targets) >= 13  # twelve industries and the e-mail choice
    small = [t for t in targets if t["width"] < MIN_TAP or t["height"] < MIN_TAP]
    assert not small, small
    assert all(t["box"][0] >= 20 for t in targets), targets  # drawn larger than 13 px

    page.goto(f"{base_url}/feedback/")
    counter = page.locator(".char-count")
    expect(counter).to_have_text("还可输入 2000 字")
    page.fill("#id_message", "希望多介绍本地企业。")
    expect(counter).to_have_text("还可输入 1990 字")
    page.fill("#id_message", "长" * 2005)
    expect(counter).to_contain_text("已超出 5 字")
    assert len(page.input_value("#id_message")) == 2005  # nothing cut by the browser

    page.goto(f"{base_url}/industries/food/")
    page.click("button.follow-button")
    expect(page.locator("button.follow-button")).to_have_text("取消关注")
    page.goto(f"{base_url}/")
    expect(page.locator("#followed .tags")).to_contain_text("食品")
    page.goto(f"{base_url}/industries/food/")
    page.click("button.follow-button")  # back as the demo had it
    expect(page.locator("button.follow-button")).to_have_text("关注")
    context.close()


def test_the_upload_button_shows_progress_and_sends_once(base_url, desktop, tmp_path):
    page = desktop
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#work-queue")).to_be_visible()

    posts = []

    def hold(route):
        if route.request.method != "POST":
            route.continue_()
            return
        # A 204 leaves the page as it is: the upload "still on its way" for the test to look at.
        posts.append(route.request.url)
        route.fulfill(status=204)

    page.route("**/admin/issues/issue/import-word/", hold)
    page.goto(f"{base_url}/admin/issues/issue/import-word/")
    document = tmp_path / "第12期.docx"
    document.write_bytes(build())
    upload = {"name": document.name, "mimeType": DOCX, "buffer": document.read_bytes()}
    page.set_input_files("#id_file", files=[upload])
    button = page.locator("input[type=submit].default")
    button.click()
    expect(button).to_have_value("正在上传…")
    expect(button).to_be_disabled()
    button.click(force=True)  # a second press
    # Enter in the form, or a script, submits without the button: refused too.
    page.locator("form[enctype='multipart/form-data']").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert len(posts) == 1, posts
