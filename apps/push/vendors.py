"""The three work-group robots' webhook protocols: where a webhook may point, the card each
vendor is sent, its signature, and what each vendor's answer means.

- WeCom 群机器人: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY, a
  `template_card` of type `text_notice`; no signature. Answers {"errcode": 0, ...}.
- DingTalk 自定义机器人: POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN, an
  `actionCard`; 加签 appends `&timestamp=<ms>&sign=<urlencoded base64 HmacSHA256 keyed with the
  secret over "timestamp\\nsecret">`. Answers {"errcode": 0, ...}.
- Feishu 自定义机器人: POST https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN, an
  `interactive` card; 签名校验 puts `timestamp` (seconds) and `sign` (base64 HmacSHA256 keyed with
  "timestamp\\nsecret" over an empty message) in the JSON body. Answers {"code": 0, ...}
  (older robots also {"StatusCode": 0}).

Every request leaves through the product's one outbound client (apps.core.outbound), so
addresses are checked as they are connected to, and time and size are bounded.

Why not apprise or wechatpy. apprise (caronc/apprise, plugins wecombot.py, dingtalk.py,
feishu.py) sends these robots plain `text` (DingTalk also `markdown`), never a card with a
button; its Feishu plugin cannot sign; it decides success on the HTTP status alone and returns
a bool, while these vendors answer HTTP 200 with their error in the body (a revoked WeCom key
is `200 {"errcode": 93000}`), so a revoked key would count as delivered and a rate limit could
not be told from a bad signature. It also sends through `requests`, around the address checks
of apps.core.outbound. wechatpy covers WeCom's application APIs (OAuth, app messages) but has
no group-robot webhook at all. What is left, a JSON POST and an HMAC, is a few lines here.

Nothing here raises for a vendor's trouble: `send` returns an Outcome saying whether it went,
whether trying again may help, and what went wrong in Chinese. No message ever holds the key
or the secret.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus, urlsplit

from django.conf import settings

from apps.core import outbound

HOSTS = {
    "wecom": "qyapi.weixin.qq.com",
    "dingtalk": "oapi.dingtalk.com",
    "feishu": "open.feishu.cn",
}
NAMES = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}
ROBOTS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人", "feishu": "飞书群机器人"}
BUTTON = "阅读本期"

# The documented webhook paths and where each carries its key. On a vendor's host the path is
# exactly this; on a relay of PUSH_EXTRA_HOSTS it may sit under a prefix of the relay's own.
_WECOM_PATH = "/cgi-bin/webhook/send"
_DINGTALK_PATH = "/robot/send"
_FEISHU_PREFIX = "/open-apis/bot/v2/hook/"
_WECOM_QUERY = re.compile(r"key=([A-Za-z0-9-]{8,64})")
_DINGTALK_QUERY = re.compile(r"access_token=([A-Za-z0-9_-]{16,128})")
_FEISHU_TOKEN = re.compile(r"[A-Za-z0-9-]{8,64}")

# What each card may hold of the titles, in characters, under the vendors' limits: WeCom's
# template card advises at most 112 characters of sub-title text; DingTalk's messages stay
# well under its 20,000-byte limit; a Feishu request body may not pass 20 KB (3 bytes a
# Chinese character, so 3,000 characters leave room for the rest of the card).
_TITLE_BUDGET = {"wecom": 112, "dingtalk": 3000, "feishu": 3000}
# A title longer than this is cut with "…", so that one long title cannot crowd out the rest.
_TITLE_CAP = {"wecom": 40, "dingtalk": 80, "feishu": 80}
_HEADING_CAP = 60  # WeCom advises 26 characters for a main title; a heading is about 24

# Anything that looks like a key or a secret (a UUID, 64 hex digits, "SEC" and 64 more): it is
# never repeated in a message, even when a vendor or a relay echoes it in its error text.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_+/=-]{16,}")


@dataclass(frozen=True)
class Card:
    """What a group is told of an issue: its heading, the titles it may see, and the link."""

    heading: str  # 《许昌竞争情报快递》2024年第1期（总第13期）
    titles: tuple[str, ...]  # in the order; empty for a leadership group
    url: str  # the page
    button: str = BUTTON


@dataclass(frozen=True)
class Outcome:
    """What came of one send.

    `ok`: the vendor accepted the message. `retry`: it was not, and trying again later may
    succeed (network, timeout, 5xx, an answer that is not the vendor's JSON, a rate limit).
    `message`: Chinese, for the administrator; never the key or the secret. `code`: the
    vendor's code or "HTTP <status>", for the record ("" when no answer came).
    """

    ok: bool
    retry: bool
    message: str
    code: str = ""


SENT = "已推送。"


# --- Where a webhook may point -----------------------------------------------------------------


def extra_hosts() -> set[tuple[str, int | None]]:
    """settings.PUSH_EXTRA_HOSTS as (host, port) pairs; port None for an entry without one,
    which then matches its scheme's default port."""
    pairs = set()
    for entry in settings.PUSH_EXTRA_HOSTS.split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        host, port = entry, None
        if entry.startswith("["):  # [::1]:8080
            host, _, rest = entry[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        elif entry.count(":") == 1:
            host, _, text = entry.partition(":")
            port = int(text) if text.isdigit() else None
        pairs.add((host, port))
    return pairs


def is_extra_host(host: str, port: int | None, scheme: str) -> bool:
    default = 443 if scheme == "https" else 80
    hosts = extra_hosts()
    return (host, port or default) in hosts or (port in (None, default) and (host, None) in hosts)


def _key_refusal(kind: str, path: str, query: str, *, exact: bool) -> str | None:
    """Whether `path` and `query` have the kind's documented shape with its key; on a relay
    (`exact` false) the documented path may follow a prefix of the relay's own."""
    name = NAMES[kind]
    if kind == "feishu":
        prefix_at = path.find(_FEISHU_PREFIX)
        token = path[prefix_at + len(_FEISHU_PREFIX) :] if prefix_at >= 0 else ""
        shaped = prefix_at == 0 if exact else prefix_at >= 0
        if not shaped or not _FEISHU_TOKEN.fullmatch(token) or query:
            return (
                "飞书机器人的地址应为 https://open.feishu.cn/open-apis/bot/v2/hook/ 加机器人的"
                "令牌，请从机器人设置页完整复制。"
            )
        return None
    documented, pattern, example = {
        "wecom": (_WECOM_PATH, _WECOM_QUERY, "/cgi-bin/webhook/send?key=…"),
        "dingtalk": (_DINGTALK_PATH, _DINGTALK_QUERY, "/robot/send?access_token=…"),
    }[kind]
    shaped = path == documented if exact else path.endswith(documented)
    if not shaped or not pattern.fullmatch(query):
        return f"{name}机器人的地址应为 https://{HOSTS[kind]}{example}，请从机器人设置页完整复制。"
    return None


def check_webhook(kind: str, url: str) -> str | None:
    """Why `url` cannot be a `kind` robot's webhook, in Chinese; None when it can.

    Allowed: https on the kind's own host with the documented path and key, or any host:port of
    settings.PUSH_EXTRA_HOSTS (a relay, the tests' server) over http or https.
    """
    if kind not in HOSTS:
        return "未知的机器人类型。"
    url = url or ""
    if not url.strip():
        return "请填写机器人的 Webhook 地址。"
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "地址中含有空格、换行或其他控制字符，请从机器人设置页重新复制。"
    if not url.isascii():
        return "地址中含有中文或其他非 ASCII 字符，请从机器人设置页重新复制。"
    if "\\" in url:
        return "地址中含有反斜杠，不是有效的 Webhook 地址。"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return "Webhook 地址必须以 https:// 开头。"
    if "@" in parts.netloc:
        return "地址中不能包含用户名或密码（@ 之前的部分）。"
    if "#" in url:
        return "地址中不能包含 # 及其后的片段。"
    host = parts.hostname or ""
    if not host:
        return "地址中没有主机名。"
    try:
        port = parts.port
    except ValueError:
        return "地址中的端口号无效。"
    if is_extra_host(host, port, scheme):
        return _key_refusal(kind, parts.path, parts.query, exact=False)
    owner = next((other for other, name in HOSTS.items() if name == host), None)
    if owner is not None and owner != kind:
        return f"这是{NAMES[owner]}机器人的地址，与所选的类型（{ROBOTS[kind]}）不符。"
    if owner is None:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is not None and not ip.is_global:
            return f"内部网络地址（{host}）不能用作 Webhook，除非已列入 PUSH_EXTRA_HOSTS。"
        return (
            f"{ROBOTS[kind]}的地址必须在 {HOSTS[kind]} 上（或列入 PUSH_EXTRA_HOSTS 的中转地址）。"
        )
    if scheme != "https":
        return f"{ROBOTS[kind]}的地址必须使用 https://，不能使用 http://。"
    if port not in (None, 443):
        return f"{ROBOTS[kind]}的地址不能指定其他端口（{port}）。"
    return _key_refusal(kind, parts.path, parts.query, exact=True)


_KEY_IN_QUERY = re.compile(r"((?:^|[?&])(?:key|access_token)=)([^&#]*)")
_KEY_IN_PATH = re.compile(r"(/bot/v2/hook/)([^/?#]*)")


def _last4(match: re.Match) -> str:
    return f"{match.group(1)}****{match.group(2)[-4:]}"


def masked(url: str) -> str:
    """`url` with its key shown by its last 4 characters only, for pages and logs."""
    url = url or ""
    shown, found = _KEY_IN_QUERY.subn(_last4, url)
    shown, in_path = _KEY_IN_PATH.subn(_last4, shown)
    if found or in_path:
        return shown
    # Not a shape this module knows: the whole address may be the secret.
    return f"****{url[-4:]}" if url else ""


# --- The cards ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# DingTalk renders its actionCard text as Markdown, with links, images and HTML. A title is
# plain text: every character that could start Markdown or HTML becomes its full-width twin, so
# it reads the same and does nothing.
_MARKDOWN = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "!": "！",
        "|": "｜",
        "~": "～",
        "\\": "＼",
        "@": "＠",
        "&": "＆",
    }
)


def _plain(text: str) -> str:
    """One line of text: control characters and line breaks become single spaces, so a title
    cannot fake lines of its own."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe(kind: str, text: str) -> str:
    text = _plain(text)
    if kind != "feishu":
        # DingTalk renders Markdown; WeCom's card fields are documented as text, but a
        # full-width bracket costs a Chinese title nothing. Feishu's plain_text renders none.
        text = text.translate(_MARKDOWN)
    # In every kind: no tag (<at id=all>, WeCom's <@userid>, HTML), no ID translation
    # (WeCom's $userName=…$), and no address a client could make a link of by itself.
    text = text.replace("<", "＜").replace(">", "＞").replace("$", "＄")
    return text.replace("://", "：//").replace("www.", "www．")


def listing(kind: str, titles: tuple[str, ...]) -> list[str]:
    """The numbered lines of `titles` that fit the kind's budget, in order; when some do not
    fit, a last line "…… 等 N 篇" (N: all the titles) says how many there are."""
    budget, cap = _TITLE_BUDGET[kind], _TITLE_CAP[kind]
    total = len(titles)
    more = f"…… 等 {total} 篇"
    lines: list[str] = []
    used = 0
    for number, title in enumerate(titles, 1):
        line = f"{number}. {_cut(_safe(kind, title), cap)}"
        # Room is kept for the "等 N 篇" line unless this is the last title.
        reserve = 0 if number == total else len(more) + 1
        if used + len(line) + (1 if lines else 0) + reserve > budget:
            if not lines:  # even the first title does not fit whole: cut it to fit
                room = budget - reserve - len(f"{number}. ")
                if room > 1:
                    lines.append(f"{number}. {_cut(_safe(kind, title), room)}")
            lines.append(more)
            break
        lines.append(line)
        used += len(line) + (1 if len(lines) > 1 else 0)
    return lines


def payload(kind: str, card: Card) -> dict:
    """The JSON body `kind`'s robot is sent for `card`."""
    heading = _cut(_safe(kind, card.heading), _HEADING_CAP)
    lines = listing(kind, tuple(card.titles))
    button = _safe(kind, card.button)
    if kind == "wecom":
        # A text_notice template card rather than `news`: `news` shows its description as two
        # or three grey lines and has no button; the card shows the numbered titles under the
        # heading, with 阅读本期 as a link of its own and the whole card opening the issue.
        template = {
            "card_type": "text_notice",
            "main_title": {"title": heading},
            "jump_list": [{"type": 1, "title": button, "url": card.url}],
            "card_action": {"type": 1, "url": card.url},
        }
        if lines:
            template["sub_title_text"] = "\n".join(lines)
        return {"msgtype": "template_card", "template_card": template}
    if kind == "dingtalk":
        text = f"#### {heading}"
        if lines:
            text += "\n\n" + "\n".join(lines)
        return {
            "msgtype": "actionCard",
            "actionCard": {
                "title": heading,
                "text": text,
                "btnOrientation": "0",
                "singleTitle": button,
                "singleURL": card.url,
            },
        }
    if kind == "feishu":
        elements: list[dict] = []
        if lines:
            elements.append(
                {"tag": "div", "text": {"tag": "plain_text", "content": "\n".join(lines)}}
            )
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": button},
                        "type": "primary",
                        "url": card.url,
                    }
                ],
            }
        )
        return {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": heading}, "template": "blue"},
                "elements": elements,
            },
        }
    raise ValueError(f"unknown robot kind: {kind}")


# --- Signatures --------------------------------------------------------------------------------


def _seconds(now: datetime | float) -> float:
    return now.timestamp() if isinstance(now, datetime) else float(now)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签, before URL encoding: base64 of HmacSHA256 keyed with the secret over
    "timestamp\\nsecret"."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu's 签名校验: base64 of HmacSHA256 keyed with "timestamp\\nsecret" over nothing."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed(kind: str, url: str, body: dict, secret: str, now: datetime | float) -> tuple[str, dict]:
    """(`url`, `body`) with the kind's signature for `now` (a datetime or epoch seconds) when it
    has one and `secret` is set; unchanged otherwise."""
    secret = (secret or "").strip()
    if not secret:
        return url, body
    if kind == "dingtalk":
        stamp = int(_seconds(now) * 1000)
        sign = quote_plus(dingtalk_sign(secret, stamp))
        return f"{url}&timestamp={stamp}&sign={sign}", body
    if kind == "feishu":
        stamp = int(_seconds(now))
        return url, {**body, "timestamp": str(stamp), "sign": feishu_sign(secret, stamp)}
    return url, body


# --- What an answer means ----------------------------------------------------------------------


def _fail(message: str, code: object, *, retry: bool) -> Outcome:
    return Outcome(ok=False, retry=retry, message=message, code=str(code))


_INVALID_KEY = (
    "机器人地址无效或机器人已被删除（{vendor} {code}）。请在群里重新添加机器人，并更新这里的地址。"
)
_RATE = "发送过于频繁，被{vendor}限流（{vendor} {code}），稍后自动重试。"
_BUSY = "{vendor}服务繁忙（{vendor} {code}），稍后自动重试。"
_KEYWORD = (
    "消息中没有机器人设置的自定义关键词（{vendor} {code}）。请在机器人的安全设置中改用"
    "「加签」/「签名校验」，或把卡片中一定出现的词（如期刊名称）设为关键词。"
)
_IP = (
    "本服务器的 IP 地址{ip}不在机器人的 IP 白名单中（{vendor} {code}）。"
    "请在机器人的安全设置中加入本服务器的出口 IP。"
)
_SIGN = "签名不匹配（{vendor} {code}）。请核对这里填写的签名密钥与机器人安全设置中的是否一致。"
_STALE = "签名时间戳无效（{vendor} {code}）。本服务器的时钟与标准时间相差过大，请校准服务器时间。"
_PARAM = "消息格式不被{vendor}接受（{vendor} {code}）。这是本系统的问题，请联系技术支持。"
_TOO_LONG = "消息超过{vendor}的长度限制（{vendor} {code}）。这是本系统的问题，请联系技术支持。"
_QUOTA = (
    "机器人的调用次数已达{vendor}规定的上限（{vendor} {code}）。请在{vendor}后台查看机器人的额度。"
)

# Each vendor's documented codes: (message, retry). DingTalk's 310000 and Feishu's 9499 and
# 19001 each cover several causes, told apart by their text (below).
_CODES = {
    "wecom": {
        -1: (_BUSY, True),
        93000: (_INVALID_KEY, False),
        45009: (_RATE, True),
        45033: (_RATE, True),
        40008: (_PARAM, False),
        40058: (_PARAM, False),
        44004: (_PARAM, False),
        45002: (_TOO_LONG, False),
    },
    "dingtalk": {
        -1: (_BUSY, True),
        300001: (_INVALID_KEY, False),
        300005: (_INVALID_KEY, False),
        410100: (_RATE, True),
        130101: (_RATE, True),
        40035: (_PARAM, False),
        40044: (_PARAM, False),
        460101: (_TOO_LONG, False),
        90030: (_QUOTA, False),
    },
    "feishu": {
        19001: (_PARAM, False),
        19021: (
            "签名校验失败（飞书 {code}）：签名密钥与机器人安全设置中的不一致，或本服务器的时钟"
            "与标准时间相差超过 1 小时。",
            False,
        ),
        19022: (_IP, False),
        19024: (_KEYWORD, False),
        9499: (_PARAM, False),
        11232: (_RATE, True),
    },
}

_IP_IN_TEXT = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]+)\b")


def _by_text(kind: str, code: int, text: str) -> tuple[str, bool] | None:
    """The causes a shared code covers, told apart by the vendor's text as its docs do."""
    lowered = text.lower()
    if kind == "dingtalk" and code == 310000:
        if "keyword" in lowered:
            return _KEYWORD, False
        if "timestamp" in lowered:
            return _STALE, False
        if "sign" in lowered:
            return _SIGN, False
        if "ip" in lowered and "whitelist" in lowered:
            return _IP, False
        return (
            "机器人的安全设置拒绝了这条消息（{vendor} {code}）。"
            "请检查关键词、加签和 IP 白名单设置。",
            False,
        )
    if kind == "feishu" and code == 9499 and "too many" in lowered:
        return _RATE, True
    if kind == "feishu" and code == 19001 and "access token" in lowered:
        return _INVALID_KEY, False
    return None


def _clean(text: str) -> str:
    """A vendor's error text fit to be shown: one line, short, with nothing key-like in it."""
    return _cut(_TOKEN_LIKE.sub("****", _plain(text)), 80)


def interpret(kind: str, status: int, body: bytes) -> Outcome:
    """What the vendor's answer (`status`, `body`) means, by its documented codes."""
    vendor = NAMES.get(kind, kind)
    data = None
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        data = None
    code, text = None, ""
    if isinstance(data, dict):
        for field in ("errcode", "code", "StatusCode"):
            if isinstance(data.get(field), int) and not isinstance(data.get(field), bool):
                code = data[field]
                break
        text = str(data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or "")
    if code is not None and (code != 0 or 200 <= status < 300):
        if code == 0:
            return Outcome(ok=True, retry=False, message=SENT, code="0")
        known = _by_text(kind, code, text) or _CODES.get(kind, {}).get(code)
        if known is not None:
            template, retry = known
            ip = _IP_IN_TEXT.search(text) if template == _IP else None
            message = template.format(
                vendor=vendor, code=code, ip=f"（{ip.group(1)}）" if ip else ""
            )
            return _fail(message, code, retry=retry)
        detail = f"：{_clean(text)}" if text.strip() else ""
        return _fail(
            f"{vendor}返回了未知的错误码 {code}{detail}。已停止推送，请联系技术支持。",
            code,
            retry=False,
        )
    if status >= 500:
        return _fail(
            f"{vendor}服务器暂时出错（HTTP {status}），稍后自动重试。", f"HTTP {status}", retry=True
        )
    if status == 429:
        return _fail("发送过于频繁（HTTP 429），稍后自动重试。", "HTTP 429", retry=True)
    if status >= 400:
        return _fail(
            f"{vendor}拒绝了请求（HTTP {status}）。请核对机器人地址是否完整、有效。",
            f"HTTP {status}",
            retry=False,
        )
    return _fail(
        f"{vendor}的回答不是预期的格式（HTTP {status}，可能是网关或代理的页面），稍后自动重试。",
        f"HTTP {status}",
        retry=True,
    )


# --- Sending -----------------------------------------------------------------------------------


def _is_public(address: str) -> bool:
    """A public address, and nothing else: INTAKE_ALLOWED_NETWORKS, which opens intranet news
    sources to intake, does not open them to a vendor's name."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


_PUBLIC_REFUSAL = (
    "机器人地址解析到了内部网络地址（{host}），已拒绝发送。请检查本服务器的 DNS 设置。"
)
# Vendors' hosts: public addresses only, checked on the address connected to.
PUBLIC_ONLY = outbound.AddressPolicy(allows=_is_public, refusal=_PUBLIC_REFUSAL)
# PUSH_EXTRA_HOSTS: the operator named these, wherever they are.
ANY_ADDRESS = outbound.AddressPolicy(allows=lambda address: True, refusal="{host}")


def policy_for(url: str) -> outbound.AddressPolicy:
    parts = urlsplit(url)
    extra = is_extra_host(parts.hostname or "", parts.port, parts.scheme.lower())
    return ANY_ADDRESS if extra else PUBLIC_ONLY


def _without_secrets(outcome: Outcome, *secrets: str) -> Outcome:
    """`outcome` with the key and the secret blotted out, wherever an answer echoed them."""
    message = outcome.message
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "****")
    if message == outcome.message:
        return outcome
    return Outcome(ok=outcome.ok, retry=outcome.retry, message=message, code=outcome.code)


def _key(url: str) -> str:
    match = _KEY_IN_QUERY.search(url) or _KEY_IN_PATH.search(url)
    return match.group(2) if match else ""


def send(
    kind: str,
    webhook_url: str,
    secret: str,
    card: Card,
    *,
    now: datetime | float,
    timeout: float = 10,
) -> Outcome:
    """Send `card` to the `kind` robot at `webhook_url`, signed with `secret` for `now`; never
    raises for the vendor's trouble."""
    refusal = check_webhook(kind, webhook_url)
    if refusal is not None:
        return _fail(refusal, "", retry=False)
    url, body = signed(kind, webhook_url, payload(kind, card), secret, now)
    vendor = NAMES[kind]
    try:
        answer = outbound.post_json(url, body, timeout=timeout, policy=policy_for(webhook_url))
        outcome = interpret(kind, answer.status, answer.body)
    except outbound.FetchError as error:
        reason = str(error)
        if error.status is not None:
            # The client reads no error body today; should it keep one, a vendor code in it
            # says more than the status does.
            outcome = interpret(kind, error.status, getattr(error, "body", b"") or b"")
        elif reason.startswith(_PUBLIC_REFUSAL.split("（")[0]):
            outcome = _fail(reason, "", retry=False)
        else:
            outcome = _fail(f"未能送达{vendor}：{reason}稍后自动重试。", "", retry=True)
    return _without_secrets(outcome, _key(webhook_url), secret or "")


def print_card(kind: str, name: str, card: Card, stream=None) -> Outcome:
    """In development (PUSH_CONSOLE), the card `kind`'s robot would get, printed to the
    console as the e-mails are, instead of posted."""
    stream = stream or sys.stdout
    lines = listing(kind, tuple(card.titles))
    print(f"----- {ROBOTS.get(kind, kind)}「{name}」-----", file=stream)
    print(_safe(kind, card.heading), file=stream)
    for line in lines:
        print(f"  {line}", file=stream)
    print(f"[{card.button}] {card.url}", file=stream)
    print(json.dumps(payload(kind, card), ensure_ascii=False), file=stream)
    stream.flush()
    return Outcome(
        ok=True, retry=False, message="已打印到控制台（开发环境，未发往群）。", code="console"
    )
