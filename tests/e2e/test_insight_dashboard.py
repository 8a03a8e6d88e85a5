"""数据看板 in Chromium, on the demo (whose readers' readings load_demo rolls up): the charts
draw from the page's JSON with the vendored ECharts under the strict CSP, with no error and no
request to another host, on a desktop and on a phone; reviewers get the totals only."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

# Every chart the demo's readings give something to draw (the demo has no feedback yet).
CHARTS = ["reach", "reach_kind", "reach_region", "channels", "industries", "followers"]
CHARTS += ["top_articles"]
# The demo leader, whom only subscriber administrators see.
LEADER = ["赵市长", "许昌市人民政府"]


def open_dashboard(browser, base_url, username, width):
    """Sign in to the back office as `username` in a window `width` px wide and open the
    dashboard; returns the page with what went wrong on it (errors, other hosts)."""
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": 800 if phone else 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    page.problems = []
    host = urlsplit(base_url).hostname
    page.on(
        "console",
        lambda message: page.problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: page.problems.append(str(error)))

    def elsewhere(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != host:
            page.problems.append(f"request to {request.url}")

    page.on("request", elsewhere)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()
    page.get_by_role("link", name="数据看板").click()
    expect(page.locator("h1")).to_have_text("数据看板")
    page.wait_for_load_state("load")
    return page


def marks(page, name) -> int:
    """The shapes ECharts drew in a chart's SVG (axes, lines, bars, symbols)."""
    return page.locator(f"#chart-{name} svg path").count()


def assert_drawn(page):
    for name in CHARTS:
        chart = page.locator(f"#chart-{name}")
        expect(chart.locator("svg")).to_have_count(1)
        box = chart.bounding_box()
        assert box["width"] > 200 and box["height"] > 150, name
        # An empty chart has its axes; one with data has its lines, symbols or bars too.
        assert marks(page, name) > 8, name
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways"
    )
    assert page.problems == []


@pytest.mark.parametrize("width", [1366, 375])
def test_subscriber_admins_dashboard_draws_every_chart(base_url, browser, width):
    page = open_dashboard(browser, base_url, "subadmin", width)

    assert_drawn(page)
    screenshot(page, f"insight-dashboard-{width}")
    # The demo's figures: its leader opened the sample issue from the e-mail within hours,
    # the enterprise one of its articles from the WeCom group two days on.
    reach = page.locator("#table-reach tbody tr", has_text="2023年第12期")
    expect(reach).to_contain_text("50.0%")
    expect(reach).to_contain_text("100.0%")
    expect(page.locator("#chart-channels svg")).to_contain_text("邮件")
    grid = page.locator("#table-leaders tbody tr", has_text="赵市长")
    expect(grid).to_contain_text("已读")
    # Within 1, 3 or 7 days: the lines of each kind of reader follow the chosen button.
    days = page.locator("#figure-reach_kind .insight-days")
    days.get_by_role("button", name="1天内").click()
    expect(days.get_by_role("button", name="1天内")).to_have_attribute("aria-pressed", "true")
    expect(days.get_by_role("button", name="7天内")).to_have_attribute("aria-pressed", "false")
    assert marks(page, "reach_kind") > 8
    # Wide tables scroll in their box, not the page.
    wrap = page.locator("#figure-industries .insight-table-wrap")
    if width < 500:
        assert wrap.evaluate("box => box.scrollWidth > box.clientWidth")
    # The window resized (a phone turned): the charts follow.
    before = page.locator("#chart-reach svg").bounding_box()["width"]
    page.set_viewport_size({"width": 900 if width > 500 else 700, "height": 800})
    page.wait_for_timeout(300)
    after = page.locator("#chart-reach svg").bounding_box()["width"]
    assert after != before
    assert page.problems == []
    page.context.close()


def test_reviewers_see_the_totals_and_no_person(base_url, browser):
    page = open_dashboard(browser, base_url, "reviewer", 1366)

    assert_drawn(page)
    expect(page.locator("#people")).to_have_count(0)
    text = page.locator("#content").inner_text()
    data = page.locator("#insight-data").text_content()
    for name in LEADER:
        assert name not in text and name not in data
    screenshot(page, "insight-dashboard-reviewer-1366")
    page.context.close()
