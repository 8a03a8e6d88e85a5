"""The one client intake reaches other sites through: safe, bounded and polite.

Against a loopback server of the suite's own (tests/intake/sites.py), with 127.0.0.1/32 in
INTAKE_ALLOWED_NETWORKS as the README says an intranet source would be.
"""

import gzip
import time

import pytest

from apps.core.outbound import FetchError, fetch, is_allowed_address
from tests.intake.sites import Site

PAGE = "<html><head><title>许昌新材料产业园开工</title></head><body><p>正文</p></body></html>"


@pytest.fixture
def site(settings):
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.INTAKE_CONNECT_TIMEOUT = 2
    settings.INTAKE_TOTAL_TIMEOUT = 3
    settings.INTAKE_MAX_BYTES = 1024 * 1024
    server = Site()
    yield server
    server.close()


def html(text=PAGE, **headers):
    return 200, {"Content-Type": "text/html; charset=utf-8", **headers}, text.encode()


def test_a_page_comes_back_with_the_institutes_user_agent(site, settings):
    site.routes["/news/1.html"] = html()
    page = fetch(site.url("/news/1.html"))
    assert page.status == 200
    assert page.body.decode() == PAGE
    _, headers = site.requests[-1]
    assert headers["User-Agent"] == settings.INTAKE_USER_AGENT
    assert "Xuchang" in headers["User-Agent"]


def test_validators_make_a_conditional_get(site):
    def answer(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {}, None
        return html(ETag='"v1"')

    site.routes["/feed.xml"] = answer
    first = fetch(site.url("/feed.xml"))
    assert first.headers["etag"] == '"v1"'
    again = fetch(site.url("/feed.xml"), etag=first.headers["etag"])
    assert again.not_modified and again.body == b""


def test_gzip_is_read_and_a_gzip_bomb_stops_at_the_limit(site, settings):
    site.routes["/small.html"] = (
        200,
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        gzip.compress(PAGE.encode()),
    )
    assert fetch(site.url("/small.html")).body.decode() == PAGE

    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros in about 50 KB
    assert len(bomb) < 100 * 1024
    site.routes["/bomb.html"] = (200, {"Content-Encoding": "gzip"}, bomb)
    started = time.monotonic()
    with pytest.raises(FetchError, match="超过 1 MB 的上限"):
        fetch(site.url("/bomb.html"))
    assert time.monotonic() - started < 2


def test_redirects_are_followed_up_to_the_limit(site, settings):
    site.routes["/old"] = (301, {"Location": "/new"}, b"")
    site.routes["/new"] = html()
    page = fetch(site.url("/old"))
    assert page.url.endswith("/new") and page.body.decode() == PAGE

    site.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(FetchError, match="重定向超过 5 次"):
        fetch(site.url("/loop"))


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]/",
        "http://127.0.0.2:1/",
        "http://0.0.0.0/",
        "http://[::1]/",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(site, target):
    site.routes["/jump"] = (302, {"Location": target}, b"")
    with pytest.raises(FetchError, match="拒绝访问内部网络地址"):
        fetch(site.url("/jump"))


def test_a_name_that_resolves_inside_is_refused_where_it_connects(site, settings, monkeypatch):
    settings.INTAKE_ALLOWED_NETWORKS = ""
    site.routes["/"] = html()
    # "localhost" resolves to loopback: refused at connect time, whatever the name says.
    with pytest.raises(FetchError, match="拒绝访问内部网络地址"):
        fetch(site.url("/", host="localhost"))

    # DNS rebinding: the name resolves to a public address for a first look and to loopback
    # when connected; the check is on the address actually connected to.
    import socket

    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "news.example":
            address = next(answers, "127.0.0.1")
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    next(answers)  # someone else's earlier look saw the public address
    with pytest.raises(FetchError, match="拒绝访问内部网络地址"):
        fetch(f"http://news.example:{site.port}/")
    assert not any(path == "/" for path, _ in site.requests)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/"])
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="只能抓取 http 或 https"):
        fetch(url)


def test_a_slow_server_is_cut_at_the_total_time(site, settings):
    def slow(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(20):  # a byte every half second: never idle long, never done
            handler.wfile.write(b"<p>")
            handler.wfile.flush()
            time.sleep(0.5)
        return 200, {}, b""

    site.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError, match="3 秒内没有完成响应"):
        fetch(site.url("/slow"))
    assert time.monotonic() - started < settings.INTAKE_TOTAL_TIMEOUT + 1.5


@pytest.mark.parametrize(("status", "words"), [(404, "页面不存在"), (500, "网站内部错误")])
def test_errors_are_reasons_in_chinese(site, status, words):
    site.routes["/x"] = (status, {}, b"")
    with pytest.raises(FetchError, match=words):
        fetch(site.url("/x"))


def test_nothing_listens_is_a_reason_too(site):
    site.close()
    with pytest.raises(FetchError, match="无法连接"):
        fetch(site.url("/"))


def test_public_addresses_pass_and_internal_ones_do_not(settings):
    settings.INTAKE_ALLOWED_NETWORKS = ""
    assert is_allowed_address("93.184.216.34")
    for address in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.1.1",
                    "224.0.0.1", "0.0.0.0", "::1",  # noqa: S104 - an address refused, not bound "fe80::1", "::ffff:10.0.0.1", "fc00::1",
                    "100.64.0.1", "240.0.0.1"]:  # fmt: skip
        assert not is_allowed_address(address), address
    settings.INTAKE_ALLOWED_NETWORKS = "10.8.0.0/16, 127.0.0.1/32"
    assert is_allowed_address("10.8.3.4") and is_allowed_address("127.0.0.1")
    assert not is_allowed_address("10.9.0.1")
