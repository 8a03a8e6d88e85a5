"""The three robots' protocols (apps/push/vendors.py), through real HTTP to the suite's own
loopback vendors (tests/push/vendor_server.py), listed in PUSH_EXTRA_HOSTS as a relay would be.
"""

import json
import re
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.core import outbound
from apps.push import vendors
from apps.push.vendors import Card, check_webhook, masked, send

KINDS = ("wecom", "dingtalk", "feishu")
SIGNED = ("dingtalk", "feishu")
HEADING = "《许昌竞争情报快递》2024年第1期（总第13期）"
TITLES = ("许昌新材料产业园开工", "长葛市再生金属产业集群升级", "禹州钧瓷文化产业发展报告")
ISSUE_URL = "https://bulletin.example.cn/issues/2024/1/"
CARD = Card(heading=HEADING, titles=TITLES, url=ISSUE_URL)
SECRET = "SEC" + "0123456789abcdef" * 4
CJK = re.compile(r"[\u4e00-\u9fff]")
# Real webhook shapes, as the vendors' setting pages show them.
REAL = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7b1c-4bc4-97a0-0ec2f1fa5aaa",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=" + "35fd4b08dea143f1" * 4,
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/2d3b6f6a-1c2e-4f5b-9a7d-0e1f2a3b4c5d",
}


def now():
    return datetime.now(UTC)


def strings(value):
    """Every string in a JSON value, keys left out."""
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def keys(value):
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys(item)


def links(body, markdown=True) -> set[str]:
    """Every address a group member could open: link fields, Markdown (where the kind may
    render it) and HTML links, and bare addresses a client makes links of."""
    found = set()
    for text in strings(body):
        if markdown:
            found.update(re.findall(r"\]\(([^)\s]*)", text))  # [text](address)
        found.update(re.findall(r"href\s*=\s*[\"']?([^\"'\s>]*)", text))
        found.update(re.findall(r"(?:https?://|www\.)[^\s)\]\"'<>]*", text))
    return found


def shown(kind, body) -> tuple[str, str, list[tuple[str, str]]]:
    """(heading, the text listing the titles, [(button, url)]) as the group sees them."""
    if kind == "wecom":
        card = body["template_card"]
        buttons = [(jump["title"], jump["url"]) for jump in card["jump_list"]]
        return card["main_title"]["title"], card.get("sub_title_text", ""), buttons
    if kind == "dingtalk":
        card = body["actionCard"]
        return card["title"], card["text"], [(card["singleTitle"], card["singleURL"])]
    card = body["card"]
    texts = [e["text"]["content"] for e in card["elements"] if e["tag"] == "div"]
    buttons = [
        (action["text"]["content"], action["url"])
        for element in card["elements"]
        if element["tag"] == "action"
        for action in element["actions"]
    ]
    return card["header"]["title"]["content"], "\n".join(texts), buttons


# --- The card arrives -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_robot_gets_the_heading_the_titles_in_order_and_one_link(vendors, kind):
    robot = vendors.add(kind)
    outcome = send(kind, vendors.url(kind, robot.key), "", CARD, now=now())
    assert outcome.ok and not outcome.retry
    assert outcome.code == "0"

    [message] = vendors.messages(kind, robot.key)
    heading, text, buttons = shown(kind, message.body)
    assert heading == HEADING
    positions = [text.index(title) for title in TITLES]
    assert positions == sorted(positions)
    assert buttons == [("阅读本期", ISSUE_URL)]
    assert links(message.body) == {ISSUE_URL}


@pytest.mark.parametrize("kind", KINDS)
def test_a_leaders_card_names_the_issue_alone(vendors, kind):
    robot = vendors.add(kind)
    card = Card(heading=HEADING, titles=(), url=ISSUE_URL)
    assert send(kind, vendors.url(kind, robot.key), "", card, now=now()).ok
    [message] = vendors.messages(kind, robot.key)
    heading, text, buttons = shown(kind, message.body)
    assert heading == HEADING
    assert buttons == [("阅读本期", ISSUE_URL)]
    assert not any(title in json.dumps(message.body, ensure_ascii=False) for title in TITLES)
    if kind == "dingtalk":
        assert text.strip() == f"#### {HEADING}"
    else:
        assert text == ""


@pytest.mark.parametrize("kind", KINDS)
def test_a_long_issue_lists_what_fits_and_says_how_many(vendors, kind):
    titles = tuple(
        f"第{n}篇：许昌市重点产业链招商引资与项目建设进展情况综述" for n in range(1, 151)
    )
    robot = vendors.add(kind)
    outcome = send(
        kind, vendors.url(kind, robot.key), "", Card(HEADING, titles, ISSUE_URL), now=now()
    )
    assert outcome.ok, outcome.message  # within each vendor's limits, or it would be refused
    [message] = vendors.messages(kind, robot.key)
    _, text, _ = shown(kind, message.body)
    assert text.rstrip().endswith("等 150 篇")
    assert "第1篇" in text and "第150篇" not in text
    if kind == "wecom":  # a template card's sub-title: 112 characters at most
        assert len(text) <= 112
    if kind == "feishu":  # a request body: 20 KB at most
        assert len(json.dumps(message.body, ensure_ascii=False).encode()) < 20 * 1024


# --- Signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SIGNED)
def test_a_signed_card_is_accepted_and_a_wrong_secret_is_permanent(vendors, kind):
    robot = vendors.add(kind, secret=SECRET)
    url = vendors.url(kind, robot.key)
    assert send(kind, url, SECRET, CARD, now=now()).ok
    [message] = vendors.messages(kind, robot.key)
    if kind == "dingtalk":
        assert message.query["timestamp"] and message.query["sign"]
    else:
        assert message.body["timestamp"] and message.body["sign"]

    wrong = send(kind, url, "SEC" + "f" * 64, CARD, now=now())
    assert not wrong.ok and not wrong.retry
    assert "签名" in wrong.message
    assert wrong.code == {"dingtalk": "310000", "feishu": "19021"}[kind]

    unsigned = send(kind, url, "", CARD, now=now())
    assert not unsigned.ok and not unsigned.retry


@pytest.mark.parametrize("kind", SIGNED)
def test_a_signature_more_than_an_hour_old_is_refused(vendors, kind):
    robot = vendors.add(kind, secret=SECRET)
    url = vendors.url(kind, robot.key)
    assert send(kind, url, SECRET, CARD, now=now() - timedelta(minutes=50)).ok
    stale = send(kind, url, SECRET, CARD, now=now() - timedelta(hours=2))
    assert not stale.ok and not stale.retry
    assert "时间" in stale.message  # the server's clock is named as a cause


def test_the_time_may_be_given_in_epoch_seconds(vendors):
    robot = vendors.add("feishu", secret=SECRET)
    assert send("feishu", vendors.url("feishu", robot.key), SECRET, CARD, now=time.time()).ok


# --- What the vendors answer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code"), [("wecom", "93000"), ("dingtalk", "300001"), ("feishu", "19001")]
)
def test_a_revoked_robot_is_a_permanent_failure(vendors, kind, code):
    robot = vendors.add(kind)
    vendors.revoke(kind, robot.key)
    outcome = send(kind, vendors.url(kind, robot.key), "", CARD, now=now())
    assert (outcome.ok, outcome.retry, outcome.code) == (False, False, code)
    assert "机器人地址无效或机器人已被删除" in outcome.message
    assert code in outcome.message


@pytest.mark.parametrize(
    ("kind", "rule", "code", "words"),
    [
        ("dingtalk", {"keyword": "监控报警"}, "310000", "关键词"),
        ("feishu", {"keyword": "监控报警"}, "19024", "关键词"),
        ("dingtalk", {"allowed_ips": ("203.0.113.7",)}, "310000", "IP 白名单"),
        ("feishu", {"allowed_ips": ("203.0.113.7",)}, "19022", "IP 白名单"),
    ],
)
def test_a_keyword_or_ip_rule_is_a_permanent_failure_explained(vendors, kind, rule, code, words):
    robot = vendors.add(kind, **rule)
    outcome = send(kind, vendors.url(kind, robot.key), "", CARD, now=now())
    assert (outcome.ok, outcome.retry, outcome.code) == (False, False, code)
    assert words in outcome.message


def test_a_keyword_in_the_card_passes_the_keyword_rule(vendors):
    robot = vendors.add("dingtalk", keyword="竞争情报")
    assert send("dingtalk", vendors.url("dingtalk", robot.key), "", CARD, now=now()).ok


def test_dingtalk_names_the_address_its_ip_rule_refused(vendors):
    robot = vendors.add("dingtalk", allowed_ips=("203.0.113.7",))
    outcome = send("dingtalk", vendors.url("dingtalk", robot.key), "", CARD, now=now())
    assert "127.0.0.1" in outcome.message


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("mode", "code"), [("500", "HTTP 500"), ("html", "HTTP 200"), ("slow", ""), ("close", "")]
)
def test_a_vendor_in_trouble_is_tried_again_later(vendors, kind, mode, code):
    robot = vendors.add(kind)
    vendors.misbehave(kind, robot.key, mode)
    vendors.slow_seconds = 3
    started = time.monotonic()
    outcome = send(kind, vendors.url(kind, robot.key), "", CARD, now=now(), timeout=1)
    assert time.monotonic() - started < 2.5  # a slow vendor holds the sender 1 s, not 3
    assert (outcome.ok, outcome.retry, outcome.code) == (False, True, code)
    assert CJK.search(outcome.message)


@pytest.mark.parametrize(
    ("kind", "burst", "code"),
    [("wecom", 20, "45009"), ("dingtalk", 20, "410100"), ("feishu", 5, "11232")],
)
def test_past_the_rate_limit_the_vendors_code_means_later(vendors, kind, burst, code):
    robot = vendors.add(kind)
    url = vendors.url(kind, robot.key)
    started = time.time()
    vendors.clock = lambda: started  # the burst falls within one second, however slow the run
    for _ in range(burst):
        assert send(kind, url, "", CARD, now=now()).ok
    outcome = send(kind, url, "", CARD, now=now())
    assert (outcome.ok, outcome.retry, outcome.code) == (False, True, code)
    assert "限流" in outcome.message
    assert len(vendors.messages(kind, robot.key)) == burst


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_code_stops_with_the_code_shown(vendors, kind):
    robot = vendors.add(kind)
    vendors.misbehave(kind, robot.key, "unknown")
    outcome = send(kind, vendors.url(kind, robot.key), "", CARD, now=now())
    assert (outcome.ok, outcome.retry, outcome.code) == (False, False, "777001")
    assert "777001" in outcome.message


def test_the_key_and_the_secret_never_appear_in_a_message(vendors):
    outcomes = []
    for kind in KINDS:
        for mode in ("", "500", "html", "close", "unknown", "revoked", "wrong secret"):
            robot = vendors.add(kind, secret=SECRET if kind in SIGNED else "")
            url = vendors.url(kind, robot.key)
            secret = SECRET if kind in SIGNED else ""
            if mode == "revoked":
                vendors.revoke(kind, robot.key)
            elif mode == "wrong secret":
                secret = "SEC" + "e" * 64
            elif mode:
                vendors.misbehave(kind, robot.key, mode)
            outcome = send(kind, url, secret, CARD, now=now(), timeout=2)
            outcomes.append((robot.key, secret, outcome))
    # The unknown code's text echoes the whole webhook address back.
    assert any("unexpected error" in outcome.message for _, _, outcome in outcomes)
    for key, secret, outcome in outcomes:
        assert key not in outcome.message
        assert key[-12:] not in outcome.message
        assert not secret or secret not in outcome.message
        assert outcome.ok or CJK.search(outcome.message)


def test_a_vendors_name_resolving_to_an_internal_address_gets_nothing(
    vendors, settings, monkeypatch
):
    # Even where intake may reach the intranet, a vendor's name that resolves inside it (a
    # poisoned or split DNS) is refused on the address connected to, before anything is sent.
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.0/8"
    robot = vendors.add("wecom")
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "qyapi.weixin.qq.com":
            return real("127.0.0.1", vendors.port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolve)
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={robot.key}"
    outcome = send("wecom", url, "", CARD, now=now())
    assert (outcome.ok, outcome.retry) == (False, False)
    assert "内部网络地址" in outcome.message
    assert vendors.messages(accepted=None) == []


def test_a_refused_address_is_not_sent_to(vendors):
    robot = vendors.add("wecom")
    url = vendors.url("wecom", robot.key).replace("/cgi-bin/", "/cgi-bin/../")
    outcome = send("wecom", url, "", CARD, now=now())
    assert (outcome.ok, outcome.retry) == (False, False)
    assert vendors.messages(accepted=None) == []


@pytest.mark.parametrize(
    ("kind", "status", "body", "retry", "code"),
    [
        ("feishu", 200, b'{"StatusCode": 0, "StatusMessage": "success"}', None, "0"),
        ("feishu", 400, b'{"code": 9499, "msg": "Bad Request", "data": {}}', False, "9499"),
        ("feishu", 200, b'{"code": 9499, "msg": "too many request"}', True, "9499"),
        ("dingtalk", 200, b'{"errcode": 130101, "errmsg": "send too fast"}', True, "130101"),
        ("dingtalk", 200, b'{"errcode": 310000, "errmsg": "sign not match"}', False, "310000"),
        ("wecom", 200, b'{"errcode": -1, "errmsg": "system busy"}', True, "-1"),
        ("wecom", 429, b"", True, "HTTP 429"),
        ("wecom", 403, b"", False, "HTTP 403"),
        ("wecom", 502, b"<html>Bad Gateway</html>", True, "HTTP 502"),
        ("wecom", 200, b"", True, "HTTP 200"),
    ],
)
def test_what_an_answer_means(kind, status, body, retry, code):
    outcome = vendors.interpret(kind, status, body)
    assert outcome.code == code
    if retry is None:
        assert outcome.ok
    else:
        assert (outcome.ok, outcome.retry) == (False, retry)
        assert CJK.search(outcome.message)


# --- Titles are plain text --------------------------------------------------------------------

EVIL = (
    '[点我领奖](http://evil.example/win) <at id=all></at> <at user_id="all">所有人</at> '
    "@all @所有人 <a href='javascript:alert(1)'>看</a> ![图](http://evil.example/i.png) "
    "**加粗** $userName=boss$ www.evil.example\n## 伪造的标题"
)


@pytest.mark.parametrize("kind", KINDS)
def test_a_title_cannot_add_a_link_or_call_everyone(vendors, kind):
    robot = vendors.add(kind)
    card = Card(heading=HEADING, titles=(EVIL, "第二篇"), url=ISSUE_URL)
    assert send(kind, vendors.url(kind, robot.key), "", card, now=now()).ok
    [message] = vendors.messages(kind, robot.key)
    _, text, buttons = shown(kind, message.body)

    assert buttons == [("阅读本期", ISSUE_URL)]
    # Feishu's text is plain_text (checked below), which renders no Markdown.
    assert links(message.body, markdown=kind != "feishu") == {ISSUE_URL}
    assert "点我领奖" in text  # the title is still there, as words
    everything = json.dumps(message.body, ensure_ascii=False)
    assert "<at" not in everything and "<a " not in everything
    assert "$userName" not in everything
    # No mention field is ever sent.
    assert not {"at", "isAtAll", "mentioned_list", "mentioned_mobile_list"} & set(
        keys(message.body)
    )
    # The line break in a title makes no heading of its own.
    assert "\n##" not in text and "\n## " not in text
    if kind == "dingtalk":  # Markdown: no link, image, HTML or emphasis syntax survives
        listing = text.split("\n", 1)[1]
        for syntax in ("](", "![", "<", ">", "**", "www.", "@all", "@所有人"):
            assert syntax not in listing
    if kind == "feishu":  # plain text only: no element renders Markdown
        assert "lark_md" not in everything and '"markdown"' not in everything


# --- Where a webhook may point ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_vendors_own_webhook_addresses_are_accepted(kind):
    assert check_webhook(kind, REAL[kind]) is None


def test_an_address_in_push_extra_hosts_is_accepted_over_http(vendors):
    robot = vendors.add("wecom")
    assert check_webhook("wecom", vendors.url("wecom", robot.key)) is None
    relay = vendors.url("wecom", robot.key).replace("/cgi-bin/", "/wecom-relay/cgi-bin/")
    assert check_webhook("wecom", relay) is None
    https = vendors.url("feishu", "2d3b6f6a-1c2e-4f5b").replace("http://", "https://")
    assert check_webhook("feishu", https) is None


@pytest.mark.parametrize(
    ("kind", "url", "words"),
    [
        ("wecom", REAL["dingtalk"], "钉钉"),
        ("dingtalk", REAL["feishu"], "飞书"),
        ("feishu", REAL["wecom"], "企业微信"),
        ("wecom", REAL["wecom"].replace("https://", "http://"), "https"),
        ("wecom", REAL["wecom"].replace(".qq.com/", ".qq.com:8443/"), "端口"),
        ("wecom", "http://10.0.0.5:8080/cgi-bin/webhook/send?key=693a91f6-7b1c", "内部网络"),
        ("dingtalk", "https://192.168.1.20/robot/send?access_token=" + "a" * 64, "内部网络"),
        ("feishu", "http://127.0.0.1:9/open-apis/bot/v2/hook/2d3b6f6a-1c2e", "内部网络"),
        ("wecom", "javascript:alert(1)//qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "https"),
        ("wecom", "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7b1c", "https"),
        ("wecom", REAL["wecom"].replace("https://", "https://admin:pw@"), "用户名"),
        ("wecom", "https://qyapi.weixin.qq.com@evil.example/cgi-bin/webhook/send?key=6", "用户名"),
        ("wecom", REAL["wecom"] + "#top", "#"),
        ("wecom", REAL["wecom"].replace("?key", "\n?key"), "控制字符"),
        ("wecom", REAL["wecom"] + "\x00", "控制字符"),
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=6", "qyapi"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "key"),
        ("wecom", REAL["wecom"] + "&debug=1", "key"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=", "access_token"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/", "hook"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/a/../../x", "hook"),
        ("wecom", "", "请填写"),
        ("sms", REAL["wecom"], "类型"),
    ],
)
def test_other_addresses_are_refused_in_chinese(kind, url, words):
    refusal = check_webhook(kind, url)
    assert refusal is not None and CJK.search(refusal)
    assert words in refusal


def test_an_extra_host_is_only_its_own_port(vendors):
    robot = vendors.add("wecom")
    other = vendors.url("wecom", robot.key, host=f"127.0.0.1:{vendors.port + 1}")
    assert "内部网络" in check_webhook("wecom", other)


@pytest.mark.parametrize("kind", KINDS)
def test_masked_shows_only_the_keys_last_four_characters(kind):
    url = REAL[kind]
    key = re.split(r"[=/]", url)[-1]
    shown_url = masked(url)
    assert shown_url.endswith("****" + key[-4:])
    assert key[:-4] not in shown_url and key[-5:] not in shown_url
    assert urlsplit_host(shown_url) == vendors.HOSTS[kind]


def urlsplit_host(url):
    return url.split("/")[2]


def test_print_card_shows_the_card_in_the_console(capsys):
    outcome = vendors.print_card("dingtalk", "许昌市工信局群", CARD)
    assert outcome.ok
    printed = capsys.readouterr().out
    assert HEADING in printed and all(title in printed for title in TITLES)
    assert ISSUE_URL in printed and "许昌市工信局群" in printed
