"""The one client through which intake reaches other hosts (news sites, feeds, images).

Every request it makes is bounded and checked where it cannot be skipped:
- only http and https;
- the host is resolved here and each address is checked before the socket connects to that
  very address, for the first URL and for every redirect: private, loopback, link-local,
  multicast, reserved and unspecified addresses (IPv4-mapped IPv6 included) are refused unless
  a network of settings.INTAKE_ALLOWED_NETWORKS holds them. A name that resolves to a public
  address when checked and to an internal one when connected (DNS rebinding) cannot pass:
  the check is made on the address connected to;
- connect within INTAKE_CONNECT_TIMEOUT, finish within INTAKE_TOTAL_TIMEOUT, at most
  INTAKE_MAX_BYTES of body counted after decompression (a gzip bomb stops at the limit), at
  most INTAKE_MAX_REDIRECTS redirects;
- a conditional GET with the validators a source kept (ETag, Last-Modified);
- a User-Agent that names the institute and its contact.

Every refusal or failure is a FetchError with a message in Chinese, for the source's state.
"""

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchError(Exception):
    """A request refused or failed; `str(error)` is the reason in Chinese."""


@dataclass
class Fetched:
    url: str  # the address that answered, after redirects
    status: int  # 200, or 304 when the validators still hold
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == http.client.NOT_MODIFIED


def allowed_networks():
    return [
        ipaddress.ip_network(text.strip(), strict=False)
        for text in settings.INTAKE_ALLOWED_NETWORKS.split(",")
        if text.strip()
    ]


def is_allowed_address(address: str) -> bool:
    """Whether intake may connect to `address` (an IP address as text)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if any(ip in network for network in allowed_networks()):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url` within every limit above, following redirects; raise FetchError."""
    deadline = time.monotonic() + settings.INTAKE_TOTAL_TIMEOUT
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    for _ in range(settings.INTAKE_MAX_REDIRECTS + 1):
        status, headers, body = _get(url, conditional, deadline)
        if status in REDIRECTS and headers.get("location"):
            url = urljoin(url, headers["location"])
            continue
        if status == http.client.NOT_MODIFIED:
            return Fetched(url=url, status=status, headers=headers)
        if status != http.client.OK:
            raise FetchError(f"网站返回错误 {status}（{_reason(status)}）。")
        return Fetched(url=url, status=status, headers=headers, body=body)
    raise FetchError(f"重定向超过 {settings.INTAKE_MAX_REDIRECTS} 次，已停止。")


def _too_slow():
    return f"网站在 {settings.INTAKE_TOTAL_TIMEOUT:g} 秒内没有完成响应，已停止。"


def _reason(status):
    return {404: "页面不存在", 403: "拒绝访问", 500: "网站内部错误", 503: "网站暂时不可用"}.get(
        status, http.client.responses.get(status, "未知状态")
    )


def _get(url, conditional, deadline):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("只能抓取 http 或 https 地址。")
    if not parts.hostname:
        raise FetchError("地址中没有网站名。")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise FetchError("地址中的端口号无效。") from error
    connection_class = _SafeHTTPSConnection if parts.scheme == "https" else _SafeHTTPConnection
    connection = connection_class(parts.hostname, port, deadline=deadline)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(
            "GET",
            path,
            headers={
                "User-Agent": settings.INTAKE_USER_AGENT,
                "Accept-Encoding": "gzip, deflate",
                "Accept": "text/html,application/xhtml+xml,application/xml,*/*;q=0.8",
                **conditional,
            },
        )
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        body = (
            b"" if response.status in REDIRECTS else _read(connection, response, headers, deadline)
        )
        return response.status, headers, body
    except FetchError:
        raise
    except TimeoutError as error:
        raise FetchError(_too_slow()) from error
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(f"无法连接或读取网站：{type(error).__name__}。") from error
    finally:
        connection.close()


def _read(connection, response, headers, deadline):
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
            raise FetchError(_too_slow())
        connection.socket.settimeout(left)  # no single read outlives the deadline
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
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


def _connect(host, port, deadline):
    """A socket connected to an allowed address of `host`, checked as it is connected to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError(f"找不到网站“{host}”。") from error
    refused = None
    for family, kind, proto, _, address in infos:
        if not is_allowed_address(address[0]):
            refused = address[0]
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
    if refused is not None:
        raise FetchError(f"拒绝访问内部网络地址（{host}）。")
    raise FetchError(f"无法连接网站“{host}”。")


class _SafeHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, deadline):
        super().__init__(host, port)
        self.deadline = deadline

    def connect(self):
        # Kept beside `sock`, which http.client drops once a response says it will close.
        self.sock = self.socket = _connect(self.host, self.port, self.deadline)


class _SafeHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, deadline):
        super().__init__(host, port, context=ssl.create_default_context())
        self.deadline = deadline

    def connect(self):
        sock = _connect(self.host, self.port, self.deadline)
        self.sock = self.socket = self._context.wrap_socket(sock, server_hostname=self.host)
