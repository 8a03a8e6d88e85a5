"""The one client through which the product reaches other hosts: intake's news sites, feeds,
images and language model (apps.intake), the work groups' robots (apps.push).

Every request it makes is bounded and checked where it cannot be skipped:
- only http and https;
- the host is resolved here and each address is checked, by the request's AddressPolicy, before
  the socket connects to that very address, for the first URL and for every redirect. A name
  that resolves to an allowed address when checked and to another when connected (DNS
  rebinding) cannot pass: the check is made on the address connected to. Two policies exist:
  - OUTSIDE (every fetch): private, loopback, link-local, multicast, reserved and unspecified
    addresses (IPv4-mapped IPv6 included) are refused unless a network of
    settings.INTAKE_ALLOWED_NETWORKS holds them;
  - one made by the caller, e.g. the language model's (apps.intake.llm), which is the reverse:
    internal material may go only to the institute's own network;
- connect within INTAKE_CONNECT_TIMEOUT, finish within INTAKE_TOTAL_TIMEOUT (or a per-call
  timeout), at most INTAKE_MAX_BYTES of body counted after decompression (a gzip bomb stops at
  the limit), at most INTAKE_MAX_REDIRECTS redirects for a GET and none for a POST;
- a conditional GET with the validators a source kept (ETag, Last-Modified);
- a User-Agent that names the institute and its contact.

Every refusal or failure is a FetchError with a message in Chinese, for the source's state. The
message never repeats request headers or bodies, so a key sent in a header cannot reach a log.
"""

import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
# Bytes of an error answer kept for the caller (a vendor's JSON with its error code).
ERROR_BODY = 4096
PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))


class FetchError(Exception):
    """A request refused or failed; `str(error)` is the reason in Chinese.

    `status` is the HTTP status when the other host answered with an error, else None;
    `body` the start of that answer (a vendor's JSON error code), never part of the message.
    """

    def __init__(self, message: str, *, status: int | None = None, body: bytes = b""):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class Fetched:
    url: str  # the address that answered, after redirects
    status: int  # 200, or 304 when the validators still hold
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == http.client.NOT_MODIFIED


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a request may connect to, and the reason given for one refused.

    `allows` takes an IP address as text; `refusal` is Chinese with a `{host}` placeholder.
    """

    allows: Callable[[str], bool]
    refusal: str

    def refuse(self, host: str) -> FetchError:
        return FetchError(self.refusal.format(host=host))


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(text.strip(), strict=False)
        for text in settings.INTAKE_ALLOWED_NETWORKS.split(",")
        if text.strip()
    ]


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip


def _in_allowed_networks(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(ip in network for network in allowed_networks())


def is_allowed_address(address: str) -> bool:
    """Whether intake may connect to `address` (an IP address as text): a public address, or
    one of INTAKE_ALLOWED_NETWORKS."""
    ip = _ip(address)
    if _in_allowed_networks(ip):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def is_internal_address(address: str) -> bool:
    """Whether `address` is on a network of the institute's own: loopback, a private range, or
    one of INTAKE_ALLOWED_NETWORKS. Link-local (the cloud metadata service), multicast,
    reserved and unspecified addresses are not."""
    ip = _ip(address)
    if _in_allowed_networks(ip) or ip.is_loopback:
        return True
    return ip.is_private and not (
        ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


OUTSIDE = AddressPolicy(allows=is_allowed_address, refusal="拒绝访问内部网络地址（{host}）。")


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float | None = None,
    policy: AddressPolicy = OUTSIDE,
    redirects: int | None = None,
) -> Fetched:
    """GET `url` within every limit above, following redirects; raise FetchError. `timeout`
    (seconds) shortens INTAKE_TOTAL_TIMEOUT for this call; `redirects` lowers how many are
    followed (0: none, for an API that never redirects)."""
    seconds = settings.INTAKE_TOTAL_TIMEOUT
    if timeout is not None:
        seconds = min(seconds, timeout)
    deadline = time.monotonic() + seconds
    headers = {
        "Accept": "text/html,application/xhtml+xml,application/xml,*/*;q=0.8",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    most = settings.INTAKE_MAX_REDIRECTS if redirects is None else redirects
    for _ in range(most + 1):
        status, answer, body = _request("GET", url, headers, None, deadline, seconds, policy)
        if status in REDIRECTS and answer.get("location"):
            url = urljoin(url, answer["location"])
            continue
        if status == http.client.NOT_MODIFIED:
            return Fetched(url=url, status=status, headers=answer)
        if status != http.client.OK:
            reason = f"网站返回错误 {status}（{_reason(status)}）。"
            raise FetchError(reason, status=status, body=body[:ERROR_BODY])
        return Fetched(url=url, status=status, headers=answer, body=body)
    raise FetchError(f"重定向超过 {most} 次，已停止。")


def post_json(
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    policy: AddressPolicy = OUTSIDE,
) -> Fetched:
    """POST `payload` as JSON to `url` within every limit above; a 2xx answer comes back.

    `timeout` (seconds) replaces INTAKE_TOTAL_TIMEOUT for this call. A redirect is an error,
    not followed: a POST re-sent elsewhere would carry its headers (a key) with it. Any other
    answer than 2xx raises FetchError with its `status`.
    """
    seconds = settings.INTAKE_TOTAL_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + seconds
    body = json.dumps(payload, ensure_ascii=False).encode()
    sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    status, answer, content = _request("POST", url, sent, body, deadline, seconds, policy)
    if status in REDIRECTS:
        raise FetchError(f"服务返回重定向 {status}，POST 请求不跟随重定向。", status=status)
    if not 200 <= status < 300:
        reason = f"服务返回错误 {status}（{_reason(status)}）。"
        raise FetchError(reason, status=status, body=content[:ERROR_BODY])
    return Fetched(url=url, status=status, headers=answer, body=content)


def _too_slow(seconds: float) -> str:
    return f"网站在 {round(seconds, 1):g} 秒内没有完成响应，已停止。"


def _reason(status: int) -> str:
    return {
        400: "请求无效",
        401: "未授权",
        404: "页面不存在",
        403: "拒绝访问",
        429: "请求过于频繁",
        500: "网站内部错误",
        503: "网站暂时不可用",
    }.get(status, http.client.responses.get(status, "未知状态"))


def _request(method, url, headers, body, deadline, seconds, policy):
    """One request, no redirect followed: (status, lower-case headers, body)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("只能抓取 http 或 https 地址。")
    if not parts.hostname:
        raise FetchError("地址中没有网站名。")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise FetchError("地址中的端口号无效。") from error
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise FetchError(f"找不到网站“{parts.hostname}”。") from error
    connection_class = _SafeHTTPSConnection if parts.scheme == "https" else _SafeHTTPConnection
    connection = connection_class(host, port, deadline=deadline, policy=policy)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Chinese in a path or query is sent as UTF-8, percent-encoded, as browsers do.
    path = quote(path, safe=PRINTABLE_ASCII)
    sent = {"User-Agent": settings.INTAKE_USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    sent.update(_checked(headers))
    # Socket timeouts bound each read, not a site that trickles a byte at a time: at the
    # deadline the socket is shut, whatever the request is waiting for.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        answer = {name.lower(): value for name, value in response.getheaders()}
        # Only a success has a body worth reading; an error's is dropped unread.
        wanted = 200 <= response.status < 300
        content = _read(connection, response, answer, deadline, seconds) if wanted else b""
        return response.status, answer, content
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
            raise FetchError(_too_slow(seconds)) from error
        raise FetchError(f"无法连接或读取网站：{type(error).__name__}。") from error
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection) -> None:
    """Shut the connection's socket (the deadline passed): any read or write fails now."""
    sock = getattr(connection, "socket", None) or connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _checked(headers: dict[str, str]) -> dict[str, str]:
    """`headers`, refused if a value cannot be sent as it is. Checked here rather than left to
    http.client, whose error would quote the value, and a value may be a key."""
    for value in headers.values():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise FetchError("请求头中有无法发送的字符，未发送。") from None
        if any(character in value for character in "\r\n\0"):
            raise FetchError("请求头中有换行等无效字符，未发送。")
    return headers


def _read(connection, response, headers, deadline, seconds):
    """The body, decompressed, refused once it grows past INTAKE_MAX_BYTES."""
    limit = settings.INTAKE_MAX_BYTES
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    elif encoding in ("", "identity"):
        decoder = None
    else:
        raise FetchError(f"网站使用了无法识别的压缩方式（{encoding}）。")
    parts, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(_too_slow(seconds))
        connection.socket.settimeout(left)  # no single read outlives the deadline
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            if time.monotonic() >= deadline:  # the watchdog shut the socket: cut, not done
                raise FetchError(_too_slow(seconds))
            break
        if decoder is not None:
            try:
                # Never more than the room left, whatever the chunk inflates to.
                chunk = decoder.decompress(chunk, limit - size + 1)
            except zlib.error as error:
                raise FetchError("网站返回的压缩数据已损坏。") from error
        size += len(chunk)
        if size > limit:
            raise FetchError(f"页面超过 {limit // (1024 * 1024)} MB 的上限，已停止读取。")
        parts.append(chunk)
    return b"".join(parts)


def _connect(host, port, deadline, policy):
    """A socket connected to an address of `host` that `policy` allows, checked as it is
    connected to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:  # UnicodeError: a name IDNA cannot encode
        raise FetchError(f"找不到网站“{host}”。") from error
    refused = False
    for family, kind, proto, _, address in infos:
        if not policy.allows(address[0]):
            refused = True
            continue
        sock = socket.socket(family, kind, proto)
        left = deadline - time.monotonic()
        sock.settimeout(max(0.01, min(settings.INTAKE_CONNECT_TIMEOUT, left)))
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            continue
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        return sock
    if refused:
        raise policy.refuse(host)
    raise FetchError(f"无法连接网站“{host}”。")


class _SafeHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, deadline, policy):
        super().__init__(host, port)
        self.deadline = deadline
        self.policy = policy

    def connect(self):
        # Kept beside `sock`, which http.client drops once a response says it will close.
        self.sock = self.socket = _connect(self.host, self.port, self.deadline, self.policy)


class _SafeHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, deadline, policy):
        super().__init__(host, port, context=ssl.create_default_context())
        self.deadline = deadline
        self.policy = policy

    def connect(self):
        sock = _connect(self.host, self.port, self.deadline, self.policy)
        self.sock = self.socket = self._context.wrap_socket(sock, server_hostname=self.host)
