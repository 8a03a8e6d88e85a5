"""The compose stack without containers: nginx (Debian's) in front of gunicorn on loopback,
with deploy/nginx/bulletin.conf.template as the compose file mounts it."""

import http.client
import os
import shutil
import socket
import subprocess
from contextlib import contextmanager
from string import Template
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.articles.models import Article, Industry
from tests.conftest import ROOT, shared_database_url
from tests.deploy.servers import Browser, collected_static, free_port, gunicorn, wait_until_up
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MAIN = """
user root;
worker_processes 1;
daemon off;
pid $folder/nginx.pid;
error_log $folder/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $folder/body;
    proxy_temp_path $folder/proxy;
    fastcgi_temp_path $folder/fastcgi;
    uwsgi_temp_path $folder/uwsgi;
    scgi_temp_path $folder/scgi;
    $site
}
"""


# The app's HSTS lifetime (SECURE_HSTS_SECONDS), given to nginx too, as docker-compose.yml does.
HSTS_SECONDS = "31536000"


@contextmanager
def nginx_in_front(folder, *, web_port, static, media):
    """Debian's nginx with the project's template, in front of `web_port`; yield its port."""
    port = free_port()
    site = Template((ROOT / "deploy/nginx/bulletin.conf.template").read_text()).safe_substitute(
        WEB_UPSTREAM=f"127.0.0.1:{web_port}",
        NGINX_PORT=f"127.0.0.1:{port}",
        STATIC_ROOT=str(static),
        MEDIA_ROOT=str(media),
        HSTS_MAX_AGE=HSTS_SECONDS,
    )
    config = folder / "nginx.conf"
    config.write_text(Template(MAIN).substitute(folder=folder, site=site))
    nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx on loopback
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port, path="/static/")  # answered by nginx itself, app or no app
        yield port
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


@pytest.fixture
def stack(settings, redis_of_our_own, tmp_path):
    media = tmp_path / "media"
    (media / "editor" / "2025" / "01").mkdir(parents=True)
    static = collected_static()
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        # The sessions below are signed here: the server must know the same key.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": shared_database_url(),
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "MEDIA_ROOT": str(media),
        "STATIC_ROOT": str(static),
        "MEDIA_ACCEL_REDIRECT": "/protected-media/",
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "SECURE_HSTS_SECONDS": HSTS_SECONDS,
    }
    with (
        gunicorn(environment) as web_port,
        nginx_in_front(tmp_path, web_port=web_port, static=static, media=media) as port,
    ):
        yield port, media


def signed_in(user):
    """A browser with a session for `user`, made as a login makes it."""
    session = import_string(django_settings.SESSION_ENGINE + ".SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_staff:
        # Staff's rights need the second factor (accounts.access.acts_as_staff): passed, as
        # the back office's login passes it.
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    browser = Browser()
    browser.cookies["sessionid"] = session.session_key
    return browser


def test_nginx_sends_an_upload_only_after_the_apps_check(stack, staff, enterprise):
    port, media = stack
    image = media / "editor" / "2025" / "01" / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"p" * 5000)
    path = "/media/editor/2025/01/chart.png"

    status, headers, body = signed_in(staff).get(port, path)
    assert status == 200
    assert body == image.read_bytes()  # sent by nginx from the media folder
    assert "X-Accel-Redirect" not in headers
    assert "private" in headers["Cache-Control"]
    assert headers["Content-Type"] == "image/png"

    # Not used by anything a subscriber may read: not for them.
    assert signed_in(enterprise).get(port, path)[0] == 404
    status, headers, _ = Browser().get(port, path)
    assert status == 302
    assert "/accounts/login/" in headers["Location"]
    # The internal location cannot be asked for directly.
    assert Browser().get(port, "/protected-media/editor/2025/01/chart.png")[0] == 404


def test_nginx_serves_static_files_and_passes_pages_through(stack):
    port, _ = stack
    status, headers, page = Browser().get(port, "/accounts/login/")
    assert status == 200
    assert "订户登录" in page.decode()
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    stylesheet = page.decode().split('href="/static/', 1)[1].split('"', 1)[0]
    status, headers, _ = Browser().get(port, f"/static/{stylesheet}")
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert Browser().get(port, "/healthz")[0] == 200


def test_nginx_refuses_oversized_posts_in_chinese_but_lets_the_back_office_post_long_articles(
    stack,
):
    import http.client

    port, _ = stack

    def post(path, size):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = b"x=" + b"a" * size
        connection.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        return response.status, response.read().decode()

    status, page = post("/feedback/", 13 * 1024 * 1024)
    assert status == 413 and "提交的内容过大" in page
    # The back office's limit is the app's to apply (it answers anonymous posts itself).
    status, page = post("/admin/login/", 13 * 1024 * 1024)
    assert status != 413


# --- Headers: one of each, on every response -------------------------------------------------

ONCE_EACH = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "Cache-Control",
    "X-Content-Type-Options",
)


def exchange(port, target, *, cookies=None, https=True):
    """GET `target` as a browser behind the TLS proxy (or, https=False, on plain http).

    Returns the status, every header line as sent (a dict would merge repeated ones, as
    `requests` and `Browser` do), and the body.
    """
    if isinstance(target, str):
        target = target.encode("ascii")
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    if https:
        lines.append(b"X-Forwarded-Proto: https")
    if cookies:
        lines.append(("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())).encode())
    lines.append(b"Connection: close")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.getheaders(), response.read()


def assert_once_each(headers, names=ONCE_EACH):
    sent = [name.lower() for name, _ in headers]
    counts = {name: sent.count(name.lower()) for name in names}
    assert counts == dict.fromkeys(names, 1), headers


def value(headers, name):
    return next(v for k, v in headers if k.lower() == name.lower())


def test_every_response_carries_each_security_header_once(stack, enterprise):
    port, media = stack
    image = media / "editor" / "2025" / "01" / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"p" * 5000)
    path = "/media/editor/2025/01/chart.png"
    ArticleFactory(
        issue=IssueFactory(visible=True, year=2025, number=1),
        status=Article.Status.PUBLISHED,
        body=f'<p>正文</p><figure class="image"><img src="{path}"></figure>',
    )
    reader = signed_in(enterprise).cookies

    status, page_headers, page = exchange(port, "/issues/", cookies=reader)
    assert status == 200
    assert_once_each(page_headers)
    app_policy = value(page_headers, "Content-Security-Policy")
    hsts = value(page_headers, "Strict-Transport-Security")
    assert hsts == f"max-age={HSTS_SECONDS}; includeSubDomains"

    # The image nginx sends once the app has said yes: the app's headers, not nginx's.
    status, headers, body = exchange(port, path, cookies=reader)
    assert status == 200
    assert body == image.read_bytes()
    assert_once_each(headers)
    assert value(headers, "Content-Security-Policy") == app_policy
    assert value(headers, "Strict-Transport-Security") == hsts
    assert value(headers, "Cache-Control") == "private, no-cache"
    assert value(headers, "X-Content-Type-Options") == "nosniff"
    assert value(headers, "Content-Type") == "image/png"

    stylesheet = page.decode().split('href="/static/', 1)[1].split('"', 1)[0]
    status, headers, _ = exchange(port, f"/static/{stylesheet}")
    assert status == 200
    assert_once_each(headers)
    assert value(headers, "Cache-Control") == "public, max-age=31536000, immutable"
    assert value(headers, "Strict-Transport-Security") == hsts
    assert "default-src 'none'" in value(headers, "Content-Security-Policy")

    # nginx's own answers: a missing static file (never cached for a year), the internal
    # location asked for directly, an address too long, a body too large (below); and one the
    # app makes before its security middleware (the health check).
    for path in (
        "/static/css/missing.0123456789ab.css",
        "/protected-media/editor/2025/01/chart.png",
        "/issues/?q=" + "a" * 4100,
        "/healthz",
    ):
        status, headers, _ = exchange(port, path, cookies=reader)
        assert_once_each(headers)
        if status >= 400:
            assert value(headers, "Cache-Control") == "no-store"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST", "/feedback/", b"x" * (13 * 1024 * 1024), {"X-Forwarded-Proto": "https"}
    )
    response = connection.getresponse()
    assert response.status == 413
    assert_once_each(response.getheaders())

    # On plain http the app sends the reader to https, and no HSTS (browsers ignore it there);
    # neither does nginx, for its own files.
    for path in ("/issues/", f"/static/{stylesheet}"):
        status, headers, _ = exchange(port, path, https=False)
        assert status in (200, 301)
        assert "Strict-Transport-Security" not in dict(headers)
        assert_once_each(headers, [name for name in ONCE_EACH if "Transport" not in name])


def test_nginx_answers_in_chinese_with_the_headers_when_the_app_is_down(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    # Nothing listens on the upstream's port: the app is down, or restarting.
    with nginx_in_front(
        tmp_path, web_port=free_port(), static=collected_static(), media=media
    ) as port:
        status, headers, body = exchange(port, "/issues/")
    assert status == 502
    assert "网站暂时无法访问" in body.decode()
    assert_once_each(headers)
    assert value(headers, "Cache-Control") == "no-store"


# --- Long addresses: refused in Chinese before any redirect, never a 502 ---------------------


def list_pages():
    industry = Industry.objects.order_by("pk").first()
    return ["/", "/issues/", f"/industries/{industry.slug}/", "/search/"]


@pytest.mark.parametrize(
    "query",
    [
        # A long repeated parameter, as long as nginx takes (a request line fits in 8 KB).
        "&".join(["q=" + letter * 2000 for letter in "abcd"]),
        # Each value over 500 characters: refused by the app.
        "q=" + "a" * 600 + "&q=" + "b" * 600,
        # Over 3,000 characters in all, each value short enough: refused by the app.
        "&".join([urlencode({"q": "新材料" * 60})] * 2),
    ],
    ids=["8KB", "values", "total"],
)
def test_overlong_parameters_get_the_chinese_400_page(stack, enterprise, query):
    port, _ = stack
    for cookies in (signed_in(enterprise).cookies, None):
        for page in list_pages():
            status, headers, body = exchange(port, f"{page}?{query}", cookies=cookies)
            assert status == 400, (page, cookies, status, headers)
            assert "请求无法处理" in body.decode()
            assert_once_each(headers)


def test_real_parameters_still_go_to_the_canonical_address(stack, enterprise):
    port, _ = stack
    reader = signed_in(enterprise).cookies
    industry = Industry.objects.order_by("pk").first()
    for asked, canonical in [
        ("/issues/?year=2024&year=2025", "/issues/?year=2025"),
        (f"/industries/{industry.slug}/?page=2&page=1", f"/industries/{industry.slug}/?page=1"),
        ("/search/?q=新材料&q=科技创新&utm=mail", "/search/?" + urlencode({"q": "科技创新"})),
    ]:
        status, headers, _ = exchange(port, quote(asked, safe="/?=&"), cookies=reader)
        assert (status, value(headers, "Location")) == (302, canonical)
        assert_once_each(headers)
    assert exchange(port, "/?from=mail&from=mail", cookies=reader)[0] == 200


def test_the_longest_address_the_app_takes_redirects_through_nginx(stack, enterprise):
    """The app takes 3,000 characters of query string: its redirects still fit nginx's buffer,
    the login page's too, where `next` escapes the address once more (%XX becomes %25XX)."""
    port, _ = stack
    search = "科技创新" * 41
    query = "&".join([urlencode({"q": search})] * 2)
    assert 2900 < len(query) <= 3000
    status, headers, _ = exchange(port, f"/search/?{query}", cookies=signed_in(enterprise).cookies)
    assert (status, value(headers, "Location")) == (302, "/search/?" + urlencode({"q": search}))
    status, headers, _ = exchange(port, f"/search/?{query}")
    assert status == 302
    assert value(headers, "Location") == "/accounts/login/?" + urlencode(
        {"next": f"/search/?{query}"}, safe="/"
    )
    assert len(value(headers, "Location")) > 4900
