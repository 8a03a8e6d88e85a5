"""The compose stack without containers: nginx (Debian's) in front of gunicorn on loopback,
with deploy/nginx/bulletin.conf.template as the compose file mounts it."""

import os
import shutil
import subprocess
from string import Template

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string

from tests.conftest import ROOT, shared_database_url
from tests.deploy.servers import Browser, collected_static, free_port, gunicorn, wait_until_up

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
    }
    with gunicorn(environment) as web_port:
        port = free_port()
        site = Template((ROOT / "deploy/nginx/bulletin.conf.template").read_text()).safe_substitute(
            WEB_UPSTREAM=f"127.0.0.1:{web_port}",
            NGINX_PORT=f"127.0.0.1:{port}",
            STATIC_ROOT=str(static),
            MEDIA_ROOT=str(media),
        )
        config = tmp_path / "nginx.conf"
        config.write_text(Template(MAIN).substitute(folder=tmp_path, site=site))
        nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx on loopback
            [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(port)
            yield port, media
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def signed_in(user):
    """A browser with a session for `user`, made as a login makes it."""
    session = import_string(django_settings.SESSION_ENGINE + ".SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
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
