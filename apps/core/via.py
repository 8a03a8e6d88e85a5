"""The `via` token of a link in an issue's e-mail or a group card: which channel brought a reader.

A token names a channel, an issue and a recipient: for an e-mail, the subscriber it was sent
to; for a group card, the push channel (the group is the recipient), so each group's readers
can be counted. It is signed (django.core.signing's HMAC, with a salt of its own) so that a
reader cannot credit a channel by typing one, and kept short, since links in a group card or
a plain-text mail are read and copied by people: `e1z.2Bx.` and 12 characters of signature.

A token only says where a reader came from. It never grants anything: who may read what is
decided by the sign-in and the access rules alone, wherever the token came from. `read`
returns None for anything not made here (forged, altered, cut, garbage); it never raises.

Lives in apps.core so that the e-mail (notifications), the cards (push) and the reader pages
(reader, readership) can all use it without depending on each other.
"""

import re
from typing import NamedTuple

from django.core.signing import Signer
from django.db import models
from django.utils.crypto import constant_time_compare

PARAMETER = "via"
SALT = "apps.core.via"
SIGNATURE_CHARS = 12  # of the base64 HMAC-SHA256: 72 bits, more than any guessing gets through
MAX_TOKEN_CHARS = 64


class Source(models.TextChoices):
    """Where a reading came from: a channel's link, or none (the value readings store)."""

    DIRECT = "", "直接访问"
    EMAIL = "email", "邮件"
    WECOM = "wecom", "企业微信群"
    DINGTALK = "dingtalk", "钉钉群"
    FEISHU = "feishu", "飞书群"


# The kinds of push channel (apps.push.models.Channel.Kind): the recipient is a push channel.
GROUP_CHANNELS = frozenset({Source.WECOM, Source.DINGTALK, Source.FEISHU})
_CODES = {Source.EMAIL: "e", Source.WECOM: "w", Source.DINGTALK: "d", Source.FEISHU: "f"}
_CHANNELS = {code: str(channel) for channel, code in _CODES.items()}

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_VALUES = {digit: value for value, digit in enumerate(_DIGITS)}
# A number: no leading zero (one spelling per number), at most 11 digits (< 62**11 ≈ 5e19).
_NUMBER = r"[1-9A-Za-z][0-9A-Za-z]{0,10}"
_TOKEN = re.compile(
    rf"(?P<code>[{''.join(_CHANNELS)}])(?P<issue>{_NUMBER})(?:\.(?P<recipient>{_NUMBER}))?"
    rf"\.(?P<signature>[A-Za-z0-9_-]{{{SIGNATURE_CHARS}}})"
)
_BIG_AUTO_MAX = 2**63 - 1


class Via(NamedTuple):
    channel: str  # a Source value other than DIRECT
    issue_id: int
    recipient_id: int | None  # the subscriber (e-mail), the push channel (a group card)

    @property
    def push_channel_id(self) -> int | None:
        return self.recipient_id if self.channel in GROUP_CHANNELS else None


def _encode(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 62)
        digits = _DIGITS[digit] + digits
        if not number:
            return digits


def _decode(text: str) -> int:
    number = 0
    for digit in text:
        number = number * 62 + _VALUES[digit]
    return number


def _signatures(payload: str):
    signer = Signer(salt=SALT)
    for key in (signer.key, *signer.fallback_keys):
        yield signer.signature(payload, key=key)[:SIGNATURE_CHARS]


def make(channel: str, issue_id: int, recipient_id: int | None) -> str:
    """The token of a link to `issue_id`'s pages sent through `channel` to `recipient_id`."""
    if channel not in _CODES:
        raise ValueError(f"unknown channel {channel!r}")
    for number in (issue_id, recipient_id):
        if number is not None and not (isinstance(number, int) and 0 < number <= _BIG_AUTO_MAX):
            raise ValueError(f"not an id: {number!r}")
    payload = _CODES[channel] + _encode(issue_id)
    if recipient_id is not None:
        payload += "." + _encode(recipient_id)
    return f"{payload}.{next(_signatures(payload))}"


def read(token) -> Via | None:
    """The Via a token of `make` names, or None for anything else. Never raises."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    payload = token[: match.start("signature") - 1]
    if not any(constant_time_compare(match["signature"], s) for s in _signatures(payload)):
        return None
    issue_id = _decode(match["issue"])
    recipient_id = _decode(match["recipient"]) if match["recipient"] else None
    if issue_id > _BIG_AUTO_MAX or (recipient_id or 0) > _BIG_AUTO_MAX:
        return None
    return Via(_CHANNELS[match["code"]], issue_id, recipient_id)


def link(url: str, token: str) -> str:
    """`url` with the token as its `via` parameter (the token needs no escaping)."""
    return f"{url}{'&' if '?' in url else '?'}{PARAMETER}={token}"


def of_request(request) -> Via | None:
    """The request's valid `via`, or None (none, or one that is not ours)."""
    return read(request.GET.get(PARAMETER))
