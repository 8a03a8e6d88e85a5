"""Signed in by a tap in WeCom (企业微信网页授权, scope snsapi_base).

A reader who is not signed in and opens a reader page in WeCom's own browser (its User-Agent
says "wxwork") is sent to `start`, which sends the browser to WeCom's OAuth page with a fresh
`state` kept in this session. WeCom sends it straight back to `callback` with a code, which
gives the reader's WeCom user id (apps.push.wecom). Then:

- bound to an active, current subscriber who is not staff: signed in (a new session key) and
  sent on to the page they opened;
- bound to no one: the user id is kept in the session as "pending", and the reader signs in
  with their password once; the profile then offers 绑定企业微信 (`bind`);
- a suspended or lapsed subscription, a staff account, a wrong or used `state`, a replayed
  code, WeCom's trouble: no one is signed in, and the reader lands on the password login with
  a notice saying why.

A user id never signs in anyone but the subscriber it is bound to, and the admin keeps its
password and second factor: staff accounts are never signed in this way.
"""

import hashlib
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.access import subscription_of
from apps.push import wecom
from apps.subscribers.models import WECOM_USERID_TAKEN, Subscriber

BACKEND = "apps.accounts.backends.UsernameEmailOrMobileBackend"
STATES = "wecom_states"  # session: {state: [next path, issued at]}
PENDING = "wecom_pending"  # session: [user id, when WeCom named it]
STATE_SECONDS = 10 * 60  # a round trip to WeCom and back takes seconds
MAX_STATES = 5  # links opened at once in one browser, each with its own state
PENDING_SECONDS = 30 * 60  # time to sign in with the password and bind
CODE_SECONDS = 10 * 60  # WeCom's codes last 5 minutes; a used one is remembered longer
MAX_NEXT_LENGTH = 4000

FIRST_TIME = (
    "首次从企业微信打开，请用账号密码登录一次，之后可绑定企业微信"
    "（登录后在“我的账号”页面点击“绑定企业微信”）。"
)
FALLBACK = "{reason}请用账号密码登录。"


def in_wecom(request) -> bool:
    """Whether the request comes from WeCom's in-app browser."""
    return "wxwork" in request.META.get("HTTP_USER_AGENT", "").lower()


def tap_applies(request) -> bool:
    """Whether an anonymous reader's "please log in" goes through WeCom's OAuth instead."""
    return request.method in ("GET", "HEAD") and in_wecom(request) and wecom.configured()


def start_redirect(request) -> HttpResponseRedirect:
    """Where a reader page sends an anonymous reader in WeCom: `start`, then back to it."""
    query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('wecom_start')}?{query}")


def _safe_next(request, value) -> str:
    """`value` if it is a path on this site, else the home page."""
    value = value or ""
    if (
        value.startswith("/")
        and len(value) <= MAX_NEXT_LENGTH
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return "/"


def _to_login(request, next_path, notice, level=messages.WARNING):
    messages.add_message(request, level, notice)
    response = redirect_to_login(next_path, settings.LOGIN_URL, REDIRECT_FIELD_NAME)
    add_never_cache_headers(response)
    return response


@never_cache
@require_GET
def start(request):
    """Send the browser to WeCom's OAuth page with a new `state` kept in this session."""
    next_path = _safe_next(request, request.GET.get(REDIRECT_FIELD_NAME))
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_path)
    if not wecom.configured():
        return redirect_to_login(next_path, settings.LOGIN_URL, REDIRECT_FIELD_NAME)
    now = time.time()
    states = {
        key: value
        for key, value in (request.session.get(STATES) or {}).items()
        if isinstance(value, list) and len(value) == 2 and now - value[1] < STATE_SECONDS
    }
    # The newest few: a reader who taps several links keeps each one's way back.
    states = dict(sorted(states.items(), key=lambda item: item[1][1])[-(MAX_STATES - 1) :])
    state = secrets.token_urlsafe(24)
    states[state] = [next_path, now]
    request.session[STATES] = states
    query = urlencode(
        {
            "appid": settings.WECOM_CORP_ID.strip(),
            "redirect_uri": request.build_absolute_uri(reverse("wecom_callback")),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": settings.WECOM_AGENT_ID.strip(),
        }
    )
    return HttpResponseRedirect(f"{settings.WECOM_AUTHORIZE_URL}?{query}#wechat_redirect")


def _claim_code(code: str) -> bool:
    """Whether `code` is used here for the first time (then it is remembered as used)."""
    key = f"wecom:code:{hashlib.sha256(code.encode()).hexdigest()}"
    return cache.add(key, 1, CODE_SECONDS)


@never_cache
@require_GET
def callback(request):
    """WeCom's way back: `state` checked against this session, the code used once, then the
    reader signed in or sent to the password login (see the module's docstring)."""
    state = request.GET.get("state", "")
    states = request.session.get(STATES) or {}
    entry = states.pop(state, None) if state else None
    request.session[STATES] = states  # a state is used once, whatever follows
    if not (isinstance(entry, list) and len(entry) == 2 and time.time() - entry[1] < STATE_SECONDS):
        return _to_login(
            request,
            "/",
            FALLBACK.format(reason="企业微信登录已失效或来源不明（请从企业微信中重新打开链接）。"),
        )
    next_path = _safe_next(request, entry[0])
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_path)
    code = request.GET.get("code", "")
    if not code:
        return _to_login(request, next_path, FALLBACK.format(reason="企业微信没有给出登录码。"))
    if not _claim_code(code):
        return _to_login(
            request, next_path, FALLBACK.format(reason="此企业微信登录码已使用过，不能再次使用。")
        )
    answer = wecom.userid_for(code)
    if answer.value is None:
        return _to_login(request, next_path, FALLBACK.format(reason=answer.reason))
    userid = answer.value
    subscriber = Subscriber.bound_to_wecom(userid)
    if subscriber is None:
        request.session[PENDING] = [userid, time.time()]
        return _to_login(request, next_path, FIRST_TIME, messages.INFO)
    user = subscriber.user
    if user.is_staff or user.is_superuser:
        return _to_login(
            request,
            next_path,
            "工作人员账号不能通过企业微信直接登录，请用账号密码登录（后台仍需动态口令）。",
        )
    if not user.is_active:
        return _to_login(
            request,
            next_path,
            f"您的账号已停用，暂时不能登录阅读。{settings.SUBSCRIPTION_CONTACT}",
            messages.ERROR,
        )
    if not subscriber.is_current():
        if subscriber.valid_from > timezone.localdate():
            when = f"您的订阅将于 {_date(subscriber.valid_from)} 开始，届时即可阅读。"
        else:
            when = f"您的订阅已于 {_date(subscriber.valid_until)} 到期，暂时不能阅读。"
        return _to_login(
            request, next_path, f"{when}{settings.SUBSCRIPTION_CONTACT}", messages.ERROR
        )
    request.session.pop(PENDING, None)
    login(request, user, backend=BACKEND)  # a new session key: nothing before it carries over
    return HttpResponseRedirect(next_path)


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pending_userid(request) -> str:
    """The WeCom user id this session brought from WeCom and may bind, or ""."""
    entry = request.session.get(PENDING)
    if isinstance(entry, list) and len(entry) == 2 and time.time() - entry[1] < PENDING_SECONDS:
        return entry[0] if isinstance(entry[0], str) else ""
    return ""


def profile_context(request, subscription) -> dict:
    """What the profile page shows of WeCom: the binding, and the buttons that change it."""
    user = request.user
    may_bind = subscription is not None and not (user.is_staff or user.is_superuser)
    bound = subscription.wecom_userid if subscription is not None else ""
    pending = pending_userid(request) if may_bind else ""
    return {
        "wecom_shown": may_bind and (wecom.configured() or bool(bound)),
        "wecom_bound": bound,
        "wecom_pending": pending if pending.lower() != bound.lower() else "",
    }


def _own_subscription(request):
    user = request.user
    subscription = subscription_of(user)
    if subscription is None or user.is_staff or user.is_superuser:
        return None
    return subscription


@require_POST
@login_required
def bind(request):
    """Bind the WeCom user id this session brought from WeCom to the signed-in subscriber."""
    subscription = _own_subscription(request)
    if subscription is None:
        messages.error(request, "只有订户账号可以绑定企业微信；工作人员账号请用账号密码登录。")
        return redirect("reader:profile")
    userid = pending_userid(request)
    if not userid:
        messages.error(
            request, "没有待绑定的企业微信账号：请先在企业微信中打开快报链接，再用账号密码登录。"
        )
        return redirect("reader:profile")
    holder = Subscriber.bound_to_wecom(userid)
    if holder is not None and holder.pk != subscription.pk:
        messages.error(request, f"{WECOM_USERID_TAKEN}如有疑问，请联系订户管理员。")
        return redirect("reader:profile")
    try:
        with transaction.atomic():
            # An update, not a save of the copy the user came with (apps.accounts.user_cache):
            # the readers' counter moves and every process loads the subscriber anew.
            Subscriber.objects.filter(pk=subscription.pk).update(wecom_userid=userid)
    except IntegrityError:  # bound to someone else a moment ago
        messages.error(request, f"{WECOM_USERID_TAKEN}如有疑问，请联系订户管理员。")
        return redirect("reader:profile")
    request.session.pop(PENDING, None)
    messages.success(request, "已绑定企业微信。之后在企业微信中打开快报链接，即可直接阅读。")
    return redirect("reader:profile")


@require_POST
@login_required
def unbind(request):
    """Remove the signed-in subscriber's WeCom binding."""
    subscription = _own_subscription(request)
    if subscription is not None:
        Subscriber.objects.filter(pk=subscription.pk).update(wecom_userid="")
    request.session.pop(PENDING, None)
    messages.success(request, "已解除企业微信绑定。之后在企业微信中打开链接，需要用账号密码登录。")
    return redirect("reader:profile")
