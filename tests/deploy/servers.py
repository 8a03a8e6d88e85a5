"""Real servers on loopback for the deployment tests: gunicorn, nginx, and a small browser."""

import hashlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from http.cookies import SimpleCookie

from tests.conftest import ROOT


def collected_static():
    """STATIC_ROOT as production builds it (hashed, compressed), made once and kept.

    Compressing the editor's scripts takes over a minute; the result depends only on our
    static files and the pinned packages, so it is kept under .cache/ keyed by both.
    """
    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes())
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    folder = ROOT / ".cache" / "test-static" / digest.hexdigest()[:16]
    if not (folder / "staticfiles.json").is_file():
        environment = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "collectstatic-only",
            "CACHE_URL": "locmemcache://",
            "STATIC_ROOT": str(folder),
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
    return folder


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port, path="/healthz", seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on port {port}")


@contextmanager
def gunicorn(environment, *, workers=2):
    """Serve the app with production settings on a free loopback port; yield the port."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


class Browser:
    """Requests with a cookie jar, as a browser behind a TLS proxy sends them.

    Production cookies are marked Secure; the proxy in front speaks HTTPS to the reader and
    says so in X-Forwarded-Proto, so the cookies go back to the app over loopback HTTP.
    """

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, form=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = urllib.parse.urlencode(form) if form is not None else None
        sent = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1{path}",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.getheaders()), content

    def get(self, port, path, **kwargs):
        return self.request(port, "GET", path, **kwargs)

    def post_form(self, port, path, form):
        """GET the page for its CSRF token, then POST the form with it."""
        status, _, page = self.get(port, path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, (status, path)
        return self.request(
            port, "POST", path, form={"csrfmiddlewaretoken": token.group(1).decode(), **form}
        )
