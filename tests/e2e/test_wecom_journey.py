"""A reader taps a group card's link in WeCom: Chromium with WeCom's User-Agent, gunicorn with the
demo and the institute's WeCom app pointed at the suite's loopback WeCom (tests/push/
wecom_server.py), whose OAuth page sends the browser straight back with a code, as WeCom does
for snsapi_base."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _manage, screenshot, serve
from tests.push.wecom_server import AGENT_ID, CORP_ID, SECRET, WecomServer

pytestmark = pytest.mark.e2e

WXWORK = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh"
)
ISSUE = "/issues/2023/12/"


@pytest.fixture(scope="module")
def wecom():
    with WecomServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory, wecom):
    """The demo on gunicorn, with the WeCom app configured against the loopback WeCom and the
    demo's leader bound to a WeCom account."""
    folder = tmp_path_factory.mktemp("e2e-wecom")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'e2e.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "CACHE_URL": f"filecache://{folder / 'cache'}",
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_AGENT_ID": AGENT_ID,
        "WECOM_SECRET": SECRET,
        "WECOM_API_BASE": wecom.base,
        "WECOM_AUTHORIZE_URL": wecom.authorize_url,
        "PUSH_EXTRA_HOSTS": wecom.host,
    }
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_demo")
    _manage(
        env,
        "shell",
        "-c",
        "from apps.subscribers.models import Subscriber; "
        "Subscriber.objects.filter(user__username='leader').update(wecom_userid='ZhaoShiZhang')",
    )
    yield from serve(env)


@pytest.fixture
def in_wecom(browser):
    """A fresh WeCom in-app browser on a phone: no cookies, WeCom's User-Agent."""
    contexts = []

    def open_page():
        context = browser.new_context(
            user_agent=WXWORK,
            viewport={"width": 375, "height": 740},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=True,
            has_touch=True,
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_a_bound_leader_taps_the_card_link_and_reads_the_issue_signed_in(site, wecom, in_wecom):
    wecom.member = "zhaoshizhang"  # WeCom ignores the case of an account
    page = in_wecom()
    page.goto(f"{site}{ISSUE}")

    expect(page).to_have_url(re.compile(rf"^{re.escape(site + ISSUE)}(#.*)?$"))
    expect(page.locator(".issue-masthead")).to_have_text("许昌竞争情报快递")
    expect(page.locator(".issue-numbers")).to_contain_text("2023年第12期")
    screenshot(page, "wecom-tap-issue")
    page.goto(f"{site}/accounts/profile/")
    expect(page.locator(".wecom-binding")).to_contain_text("ZhaoShiZhang")


def test_an_unbound_reader_signs_in_once_binds_and_then_taps_in(site, wecom, in_wecom):
    wecom.member = "qianjingli"
    page = in_wecom()
    page.goto(f"{site}{ISSUE}")
    expect(page.locator("h1")).to_have_text("订户登录")
    expect(page.locator(".message").first).to_contain_text("首次从企业微信打开")

    page.fill("#id_username", "enterprise")
    page.fill("#id_password", "xuchang-demo")
    page.click("button[type=submit]")
    expect(page.locator(".issue-masthead")).to_have_text("许昌竞争情报快递")

    page.goto(f"{site}/accounts/profile/")
    expect(page.locator(".wecom-binding")).to_contain_text("qianjingli")
    page.click("text=绑定企业微信")
    expect(page.locator(".message").first).to_contain_text("已绑定企业微信")
    screenshot(page, "wecom-bound-profile")

    later = in_wecom()  # another day: a new session, no password
    later.goto(f"{site}{ISSUE}")
    expect(later.locator(".issue-masthead")).to_have_text("许昌竞争情报快递")
    expect(later).to_have_url(re.compile(rf"^{re.escape(site + ISSUE)}(#.*)?$"))
