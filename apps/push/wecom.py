"""WeCom's web sign-in API (企业微信网页授权) for the institute's internal app (自建应用).

- `gettoken`: GET {WECOM_API_BASE}/cgi-bin/gettoken?corpid=ID&corpsecret=SECRET answers
  {"errcode": 0, "access_token": "…", "expires_in": 7200}. WeCom asks callers to keep the token
  and not to call gettoken for every request (it throttles those who do), and may end a token
  early: a call then answers 42001 (expired) or 40014 (invalid), and a new token is fetched.
- `auth/getuserinfo`: GET /cgi-bin/auth/getuserinfo?access_token=…&code=… answers
  {"errcode": 0, "userid": "…"} for a member of the institute's WeCom, {"errcode": 0,
  "openid": "…"} for anyone else. A code is valid for five minutes and for one use.

Both go through the product's one outbound client (apps.core.outbound): WeCom's host is reached
on public addresses only, a relay or the tests' server when PUSH_EXTRA_HOSTS lists it, with the
address checked as it is connected to and time and size bounded. The secret is sent in the
query string, as WeCom requires; so WECOM_API_BASE must be WeCom's https host or one the
operator listed, and nothing here repeats a URL, the secret or a token in a message or a log.

Nothing here raises for WeCom's trouble: each call returns an Answer, whose `reason` says in
Chinese what went wrong when there is no `value`.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

from apps.core import outbound
from apps.push import vendors
from apps.subscribers.models import wecom_userid_validator

logger = logging.getLogger(__name__)

HOST = "qyapi.weixin.qq.com"
# A reader waits for these calls on a tap: a WeCom that does not answer in this many seconds
# sends them to the password login instead.
TIMEOUT = 5.0
# A token is used until this long before WeCom says it ends (at most a quarter of its life), so
# that one handed out a moment before its end is not sent after it.
TOKEN_MARGIN = 300
EXPIRED_TOKEN_CODES = {42001, 40014}
# The shape of a code and of a user id as WeCom documents them, checked before either is used.
MAX_CODE_LENGTH = 512


@dataclass(frozen=True)
class Answer:
    """A call's result: `value` (the token, the user id), or None and `reason` in Chinese."""

    value: str | None
    reason: str = ""


class _Refused(Exception):
    """WeCom (or the way to it) said no; `str()` is the reason in Chinese, `code` WeCom's."""

    def __init__(self, reason: str, code: int | None = None):
        super().__init__(reason)
        self.code = code


def configured() -> bool:
    """Whether the institute's WeCom app is set up: corp id, agent id and secret."""
    return bool(
        settings.WECOM_CORP_ID.strip()
        and settings.WECOM_AGENT_ID.strip()
        and settings.WECOM_SECRET.strip()
    )


_CONFIG = (
    "企业微信应用配置有误（错误码 {code}），请管理员核对 WECOM_CORP_ID、WECOM_AGENT_ID 和"
    " WECOM_SECRET。"
)
# WeCom's documented codes for these two calls, in the words a reader or an administrator needs.
_CODES = {
    -1: "企业微信服务繁忙，请稍后再试。",
    40001: _CONFIG,
    40013: _CONFIG,
    40056: _CONFIG,
    40091: _CONFIG,
    41002: _CONFIG,
    41004: _CONFIG,
    40029: "企业微信登录码无效或已过期，请重新打开链接。",
    40163: "企业微信登录码已被使用，请重新打开链接。",
    45009: "调用企业微信接口过于频繁，请稍后再试。",
    48002: "企业微信应用没有网页授权的权限，请管理员在企业微信管理后台检查应用设置。",
    50002: "您不在本应用的可见范围内，请联系管理员在企业微信管理后台调整应用的可见范围。",
    60020: "本服务器的出口 IP 不在企业微信应用的「企业可信IP」中，请管理员在企业微信管理后台添加。",
}


def _base() -> str:
    return settings.WECOM_API_BASE.strip().rstrip("/")


def _base_refusal(base: str) -> str | None:
    """Why the secret may not be sent to `base`: WeCom's own https host, or a host:port the
    operator listed in PUSH_EXTRA_HOSTS (a relay, the tests' server), nothing else."""
    parts = urlsplit(base)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").lower()
    if scheme in ("http", "https") and host and port != -1 and "@" not in parts.netloc:
        if vendors.is_extra_host(host, port, scheme):
            return None
        if scheme == "https" and host == HOST and port in (None, 443):
            return None
    return (
        f"WECOM_API_BASE 必须是 https://{HOST}，或列入 PUSH_EXTRA_HOSTS 的中转地址；"
        "当前设置不安全，未发送请求。"
    )


def _get(path: str, params: dict[str, str]) -> dict:
    """GET `path` with `params` from WeCom's API and return its JSON; raise _Refused."""
    base = _base()
    refusal = _base_refusal(base)
    if refusal is not None:
        raise _Refused(refusal)
    url = f"{base}{path}?{urlencode(params)}"
    try:
        # No redirect followed (an API call that redirects is not WeCom's), on the address
        # policy a webhook of the same host would have.
        answer = outbound.fetch(url, timeout=TIMEOUT, policy=vendors.policy_for(url), redirects=0)
    except outbound.FetchError as error:
        if error.status is None:
            raise _Refused(f"无法连接企业微信：{error}") from None
        raise _Refused(f"企业微信暂时无法访问（HTTP {error.status}），请稍后再试。") from None
    body = answer.body
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    code = data.get("errcode") if isinstance(data, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        raise _Refused("企业微信的回答不是预期的格式（可能是网关或代理的页面），请稍后再试。")
    if code != 0:
        reason = _CODES.get(code, "企业微信返回了未知的错误码 {code}，请稍后再试或联系管理员。")
        raise _Refused(reason.format(code=code), code)
    return data


def _token_key() -> str:
    # One token per app (WeCom's tokens are per app): a changed secret or corp id does not use
    # the old one. The key holds a digest, never the secret.
    app = f"{_base()}|{settings.WECOM_CORP_ID.strip()}|{settings.WECOM_SECRET.strip()}"
    return f"wecom:token:{hashlib.sha256(app.encode()).hexdigest()[:24]}"


def _fetch_token() -> str:
    data = _get(
        "/cgi-bin/gettoken",
        {"corpid": settings.WECOM_CORP_ID.strip(), "corpsecret": settings.WECOM_SECRET.strip()},
    )
    token, lifetime = data.get("access_token"), data.get("expires_in")
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise _Refused("企业微信的回答中没有有效的 access_token，请稍后再试。")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool):
        lifetime = 7200  # WeCom's documented lifetime
    keep = lifetime - min(TOKEN_MARGIN, lifetime // 4)
    if keep > 0:
        cache.set(_token_key(), token, keep)
    return token


def _token(*, fresh: bool = False) -> str:
    if not fresh:
        token = cache.get(_token_key())
        if isinstance(token, str) and token:
            return token
    return _fetch_token()


def _logged(reason: str, what: str) -> str:
    # The reason is ours (Chinese, with WeCom's code at most): no URL, secret or token in it.
    logger.warning("企业微信%s失败：%s", what, reason)
    return reason


def access_token() -> Answer:
    """The app's access token, from the cache while it lasts, else fetched from WeCom."""
    if not configured():
        return Answer(None, "企业微信应用尚未配置。")
    try:
        return Answer(_token())
    except _Refused as refusal:
        return Answer(None, _logged(str(refusal), "获取 access_token "))


def _valid_code(code: str) -> bool:
    return 0 < len(code) <= MAX_CODE_LENGTH and all(33 <= ord(c) < 127 for c in code)


def _valid_userid(userid: object) -> bool:
    if not isinstance(userid, str):
        return False
    try:
        wecom_userid_validator(userid)
    except ValidationError:
        return False
    return True


def userid_for(code: str) -> Answer:
    """The WeCom user id of the member whose browser brought `code`, or None and why: not a
    member of the institute's WeCom (WeCom gives an openid only), a bad code, WeCom's trouble.
    A token WeCom ended early is replaced once and the call repeated."""
    if not configured():
        return Answer(None, "企业微信应用尚未配置。")
    code = code or ""
    if not _valid_code(code):
        return Answer(None, "企业微信登录码无效，请重新打开链接。")
    try:
        token = _token()
        try:
            data = _get("/cgi-bin/auth/getuserinfo", {"access_token": token, "code": code})
        except _Refused as refusal:
            if refusal.code not in EXPIRED_TOKEN_CODES:
                raise
            cache.delete(_token_key())
            token = _token(fresh=True)
            data = _get("/cgi-bin/auth/getuserinfo", {"access_token": token, "code": code})
    except _Refused as refusal:
        return Answer(None, _logged(str(refusal), "网页授权"))
    userid = data.get("userid", data.get("UserId"))
    if userid:
        if not _valid_userid(userid):
            return Answer(None, _logged("企业微信返回的成员账号格式无效。", "网页授权"))
        return Answer(userid)
    return Answer(None, "您不是本单位企业微信通讯录中的成员，不能通过企业微信直接登录。")
