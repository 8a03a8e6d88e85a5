"""Signed in by a tap in WeCom (企业微信网页授权), against a loopback WeCom of the suite's own.

The reader's browser is the test client with WeCom's User-Agent; its trip to WeCom's OAuth page
is a request to the loopback server, which answers as WeCom does for snsapi_base: a redirect
straight back with a code.
"""

import http.client
import logging
import socket
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Section
from apps.push import wecom, wecom_login
from apps.subscribers.models import Subscriber
from tests.factories import PASSWORD, ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory
from tests.push.wecom_server import AGENT_ID, CORP_ID, SECRET, WecomServer

pytestmark = pytest.mark.django_db

WXWORK = (
    "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 "
    "wxwork/4.1.22 MicroMessenger/7.0.1 NetType/WIFI Language/zh ColorScheme/Light"
)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
TOKEN_PATH = "/cgi-bin/gettoken"
USERINFO_PATH = "/cgi-bin/auth/getuserinfo"


@pytest.fixture
def api(settings):
    with WecomServer() as server:
        settings.PUSH_EXTRA_HOSTS = server.host
        settings.WECOM_CORP_ID = CORP_ID
        settings.WECOM_AGENT_ID = AGENT_ID
        settings.WECOM_SECRET = SECRET
        settings.WECOM_API_BASE = server.base
        settings.WECOM_AUTHORIZE_URL = server.authorize_url
        yield server


@pytest.fixture
def issue_path():
    issue = IssueFactory(visible=True, year=2025, number=7)
    ArticleFactory(
        issue=issue,
        section=Section.objects.order_by("order").first(),
        title="储能产业观察",
        status=Article.Status.PUBLISHED,
    )
    return reverse("reader:issue", args=(2025, 7))


@pytest.fixture
def reader():
    return SubscriberFactory(user__username="zhang.san", wecom_userid="zhangsan")


def signed_in(client):
    return client.session.get(SESSION_KEY)


def notices(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def visit_wecom(server, url):
    """What WeCom's OAuth page answers the browser: (status, Location)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        answer = connection.getresponse()
        return answer.status, answer.getheader("Location", "")
    finally:
        connection.close()


def tap(client, server, path, user_agent=WXWORK):
    """Open `path` as a browser would, following every redirect, through WeCom's OAuth page
    when sent there. Returns the last response and the addresses passed through."""
    trail = [path]
    response = client.get(path, HTTP_USER_AGENT=user_agent)
    for _ in range(10):
        if response.status_code not in (301, 302, 303):
            break
        location = response["Location"]
        if location.startswith(server.authorize_url):
            trail.append(location)
            status, location = visit_wecom(server, location.split("#")[0])
            assert status == 302, "WeCom refused the sign-in request"
        parts = urlsplit(location)
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        trail.append(local)
        response = client.get(local, HTTP_USER_AGENT=user_agent)
    return response, trail


def password_login(client, username, next_path):
    return client.post(
        reverse("login"),
        {"username": username, "password": PASSWORD, "next": next_path},
        follow=True,
    )


# --- The tap ---------------------------------------------------------------------------------


def test_a_tap_signs_a_bound_reader_in_and_lands_on_the_page(client, api, reader, issue_path):
    response, trail = tap(client, api, issue_path)

    assert response.status_code == 200
    assert "储能产业观察" in response.content.decode()
    assert trail[-1] == issue_path
    assert signed_in(client) == str(reader.user.pk)
    # The OAuth request WeCom documents, back to this site's callback.
    authorize = urlsplit(trail[2])
    query = {key: values[0] for key, values in parse_qs(authorize.query).items()}
    assert query["appid"] == CORP_ID and query["agentid"] == AGENT_ID
    assert query["scope"] == "snsapi_base" and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/accounts/wecom/callback/"
    assert trail[2].endswith("#wechat_redirect")
    assert SECRET not in trail[2]


def test_the_page_keeps_its_query_string_through_the_round_trip(client, api, reader):
    response, trail = tap(client, api, "/search/?q=%E5%82%A8%E8%83%BD")
    assert response.status_code == 200
    assert urlsplit(trail[-1]).path == "/search/"
    assert parse_qs(urlsplit(trail[-1]).query)["q"] == ["储能"]
    assert signed_in(client) == str(reader.user.pk)


def test_outside_wecom_the_login_page_is_unchanged(client, api, reader, issue_path):
    response, trail = tap(client, api, issue_path, user_agent=CHROME)
    assert trail[1].startswith("/accounts/login/?next=")
    assert "订户登录" in response.content.decode()
    assert api.calls == {}
    assert signed_in(client) is None


def test_without_the_wecom_app_configured_nothing_changes(
    client, api, reader, issue_path, settings
):
    settings.WECOM_SECRET = ""
    _, trail = tap(client, api, issue_path)
    assert trail[1].startswith("/accounts/login/?next=")
    assert api.calls == {}
    assert signed_in(client) is None


def test_a_signed_in_reader_in_wecom_reads_without_a_round_trip(client, api, reader, issue_path):
    client.force_login(reader.user)
    response = client.get(issue_path, HTTP_USER_AGENT=WXWORK)
    assert response.status_code == 200
    assert api.calls == {}


# --- Binding ---------------------------------------------------------------------------------


def test_first_tap_then_password_then_bind_then_taps_sign_in(client, api, issue_path):
    subscriber = SubscriberFactory(user__username="li.si")
    api.member = "LiSi"

    response, trail = tap(client, api, issue_path)
    assert trail[-1].startswith("/accounts/login/?next=")
    assert wecom_login.FIRST_TIME in notices(response)
    assert signed_in(client) is None

    response = password_login(client, "li.si", issue_path)
    assert response.redirect_chain[-1][0] == issue_path
    profile = client.get(reverse("reader:profile")).content.decode()
    assert "绑定企业微信" in profile and "LiSi" in profile

    response = client.post(reverse("wecom_bind"), follow=True)
    assert "已绑定企业微信" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.wecom_userid == "LiSi"

    client.post(reverse("logout"))
    response, trail = tap(client, api, issue_path)
    assert trail[-1] == issue_path and response.status_code == 200
    assert signed_in(client) == str(subscriber.user.pk)


def test_unbinding_on_the_profile_ends_the_taps(client, api, reader, issue_path):
    client.force_login(reader.user)
    profile = client.get(reverse("reader:profile")).content.decode()
    assert "已绑定企业微信账号" in profile and "解除绑定" in profile

    response = client.post(reverse("wecom_unbind"), follow=True)
    assert "已解除企业微信绑定" in response.content.decode()
    reader.refresh_from_db()
    assert reader.wecom_userid == ""

    client.post(reverse("logout"))
    response, trail = tap(client, api, issue_path)
    assert trail[-1].startswith("/accounts/login/")
    assert signed_in(client) is None


def test_binding_and_unbinding_are_csrf_protected_posts(api, reader, issue_path):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader.user)
    assert browser.post(reverse("wecom_unbind")).status_code == 403
    assert browser.get(reverse("wecom_unbind")).status_code == 405
    reader.refresh_from_db()
    assert reader.wecom_userid == "zhangsan"


def test_an_id_bound_to_another_subscriber_is_not_bound_again(client, api, issue_path):
    first = SubscriberFactory(user__username="first")
    second = SubscriberFactory(user__username="second")
    api.member = "wangwu"
    tap(client, api, issue_path)
    password_login(client, "first", issue_path)
    # Meanwhile 订户管理 gave the id to someone else (in another case).
    Subscriber.objects.filter(pk=second.pk).update(wecom_userid="WangWu")

    response = client.post(reverse("wecom_bind"), follow=True)
    assert "该企业微信账号已绑定其他订户" in response.content.decode()
    first.refresh_from_db()
    assert first.wecom_userid == ""


def test_binding_needs_an_id_brought_from_wecom(client, api):
    subscriber = SubscriberFactory(user__username="nobody.wecom")
    client.force_login(subscriber.user)
    response = client.post(reverse("wecom_bind"), follow=True)
    assert "没有待绑定的企业微信账号" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.wecom_userid == ""


# --- Forged and refused callbacks ------------------------------------------------------------


def start_flow(client, path="/"):
    """Begin a sign-in; return the state the session now holds."""
    response = client.get(f"{reverse('wecom_start')}?next={path}", HTTP_USER_AGENT=WXWORK)
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def callback(client, code, state):
    return client.get(
        reverse("wecom_callback"), {"code": code, "state": state}, HTTP_USER_AGENT=WXWORK
    )


def test_a_wrong_state_signs_no_one_in(client, api, reader):
    start_flow(client)
    response = callback(client, api.issue_code("zhangsan"), "forged-state")
    assert response["Location"].startswith("/accounts/login/")
    assert signed_in(client) is None
    assert api.calls[USERINFO_PATH] == 0  # the code was not even looked up


def test_a_state_from_another_browser_signs_no_one_in(client, api, reader):
    other = Client()
    state = start_flow(other)
    response = callback(client, api.issue_code("zhangsan"), state)
    assert response["Location"].startswith("/accounts/login/")
    assert signed_in(client) is None


def test_a_state_is_used_once(client, api, reader):
    state = start_flow(client)
    assert callback(client, api.issue_code("zhangsan"), state)["Location"] == "/"
    client.post(reverse("logout"))
    response = callback(client, api.issue_code("zhangsan"), state)
    assert response["Location"].startswith("/accounts/login/")
    assert signed_in(client) is None


def test_a_replayed_code_signs_no_one_in(client, api, reader):
    code = api.issue_code("zhangsan")
    callback(client, code, start_flow(client))
    assert signed_in(client) == str(reader.user.pk)

    stranger = Client()
    response = callback(stranger, code, start_flow(stranger))
    assert response["Location"].startswith("/accounts/login/")
    assert signed_in(stranger) is None
    assert api.calls[USERINFO_PATH] == 1  # refused here, before WeCom is asked again


def test_a_code_wecom_no_longer_honours_signs_no_one_in(client, api, reader):
    code = api.issue_code("zhangsan")
    api.offset = 301  # WeCom's five minutes are over
    response = callback(client, code, start_flow(client))
    assert signed_in(client) is None
    response = client.get(response["Location"])
    assert any("登录码无效或已过期" in notice for notice in notices(response))


def test_someone_outside_the_corp_signs_no_one_in(client, api, reader, issue_path):
    api.member = None  # WeCom gives an openid only
    response, trail = tap(client, api, issue_path)
    assert trail[-1].startswith("/accounts/login/")
    assert any("不是本单位企业微信" in notice for notice in notices(response))
    assert signed_in(client) is None
    assert wecom_login.PENDING not in client.session


def test_a_staff_members_id_never_signs_in(client, api, issue_path):
    staff = StaffFactory(username="editor.wang")
    SubscriberFactory(user=staff, wecom_userid="zhangsan")
    response, trail = tap(client, api, issue_path)
    assert trail[-1].startswith("/accounts/login/")
    assert any("工作人员账号不能通过企业微信" in notice for notice in notices(response))
    assert signed_in(client) is None


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"valid_until": -1, "valid_from": -30}, "到期"),
        ({"valid_from": 5, "valid_until": 300}, "开始"),
    ],
)
def test_a_lapsed_subscription_signs_no_one_in(client, api, issue_path, change, said):
    today = timezone.localdate()
    SubscriberFactory(
        wecom_userid="zhangsan",
        valid_from=today + timedelta(days=change["valid_from"]),
        valid_until=today + timedelta(days=change["valid_until"]),
    )
    response, trail = tap(client, api, issue_path)
    assert trail[-1].startswith("/accounts/login/")
    assert any(said in notice for notice in notices(response))
    assert signed_in(client) is None


def test_a_suspended_account_signs_no_one_in(client, api, reader, issue_path):
    reader.user.is_active = False
    reader.user.save()
    response, _ = tap(client, api, issue_path)
    assert any("账号已停用" in notice for notice in notices(response))
    assert signed_in(client) is None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_next_is_only_ever_a_path_of_this_site(client, api, reader, target):
    state = start_flow(client, target)
    response = callback(client, api.issue_code("zhangsan"), state)
    assert response["Location"] == "/"
    assert signed_in(client) == str(reader.user.pk)


def test_the_user_id_is_matched_case_insensitively_as_wecom_does(client, api, issue_path):
    subscriber = SubscriberFactory(wecom_userid="ZhangSan")
    tap(client, api, issue_path)
    assert signed_in(client) == str(subscriber.user.pk)


# --- The access token ------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_reused(api, issue_path):
    readers = [SubscriberFactory(wecom_userid=f"member{n}") for n in range(3)]
    for subscriber in readers:
        api.member = subscriber.wecom_userid
        browser = Client()
        tap(browser, api, issue_path)
        assert signed_in(browser) == str(subscriber.user.pk)
    assert api.calls[TOKEN_PATH] == 1
    assert api.calls[USERINFO_PATH] == 3


def test_the_token_is_fetched_again_when_it_expires(api, reader):
    api.token_seconds = 2
    assert wecom.access_token().value is not None
    assert wecom.access_token().value is not None
    assert api.calls[TOKEN_PATH] == 1
    time.sleep(2.1)
    assert wecom.access_token().value is not None
    assert api.calls[TOKEN_PATH] == 2


@pytest.mark.parametrize("ended", ["expired", "revoked"])
def test_a_token_wecom_ended_early_is_replaced_once(client, api, reader, ended):
    first = wecom.access_token().value
    if ended == "expired":
        api.offset = 7201  # 42001 for the cached token
    else:
        api.end_tokens()  # 40014
    callback(client, api.issue_code("zhangsan"), start_flow(client))
    assert signed_in(client) == str(reader.user.pk)
    assert api.calls[TOKEN_PATH] == 2
    assert wecom.access_token().value != first


def test_a_wrong_secret_is_explained_without_the_secret(api, settings, caplog):
    settings.WECOM_SECRET = "not-the-right-secret-value-0123456789"
    with caplog.at_level(logging.DEBUG):
        answer = wecom.access_token()
    assert answer.value is None
    assert "WECOM_SECRET" in answer.reason and "40001" in answer.reason
    assert "not-the-right-secret" not in answer.reason + caplog.text


def test_the_secret_goes_to_no_host_but_wecom_or_a_listed_one(api, settings):
    settings.WECOM_API_BASE = "http://127.0.0.1:9"  # not in PUSH_EXTRA_HOSTS
    answer = wecom.access_token()
    assert answer.value is None and "WECOM_API_BASE" in answer.reason
    settings.WECOM_API_BASE = "http://qyapi.weixin.qq.com"  # WeCom, but not over https
    assert wecom.access_token().value is None
    assert api.calls == {}


# --- WeCom's trouble -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("close", "无法连接企业微信"),
        ("500", "HTTP 500"),
        ("html", "不是预期的格式"),
        ("slow", "无法连接企业微信"),
    ],
)
def test_wecom_in_trouble_means_the_login_page_with_a_notice(
    client, api, reader, issue_path, monkeypatch, caplog, mode, said
):
    monkeypatch.setattr(wecom, "TIMEOUT", 0.5)
    api.slow_seconds = 2
    api.misbehave = mode
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        response, trail = tap(client, api, issue_path)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert trail[-1].startswith("/accounts/login/")
    page = response.content.decode()
    assert said in page and "请用账号密码登录" in page
    assert signed_in(client) is None
    assert SECRET not in page and SECRET not in caplog.text


def test_the_api_server_gone_means_the_login_page(client, api, reader, issue_path, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        gone = f"127.0.0.1:{probe.getsockname()[1]}"
    settings.PUSH_EXTRA_HOSTS = f"{api.host},{gone}"
    settings.WECOM_API_BASE = f"http://{gone}"
    response, trail = tap(client, api, issue_path)
    assert response.status_code == 200 and trail[-1].startswith("/accounts/login/")
    assert "无法连接企业微信" in response.content.decode()


def test_the_secret_and_token_never_appear_in_a_page_or_a_log(client, api, reader, caplog):
    paths = ["/", reverse("reader:profile")]
    with caplog.at_level(logging.DEBUG):
        response, trail = tap(client, api, "/")
        pages = [response.content.decode()]
        pages += [client.get(path, HTTP_USER_AGENT=WXWORK).content.decode() for path in paths]
        token = wecom.access_token().value
    everything = "\n".join([*pages, *trail, caplog.text])
    assert SECRET not in everything
    assert token not in everything
    # Nor in what the server was sent, but for gettoken itself (WeCom requires it there).
    assert all(SECRET not in request for request in api.requests if TOKEN_PATH not in request)
