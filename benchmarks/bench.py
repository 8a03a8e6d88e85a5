"""`make bench`: the reader pages under gunicorn on PostgreSQL, beside a trivial view.

Builds (once) a generated archive in its own database, signs in a set of subscribers, starts
gunicorn with production settings on 127.0.0.1, drives each page with wrk for a fixed time,
and prints requests/s, p50 and p99 latency, the ratio to the trivial view and worker memory.
Everything is bounded: a few seconds per page, loopback only; the server is stopped at the end.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench"
)
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
# Throughput is measured with the server saturated; latency also at a light load (one
# connection per worker), where it shows the cost of a page rather than the queue before it.
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")
LIGHT_CONNECTIONS = os.environ.get("BENCH_LIGHT_CONNECTIONS", "2")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
SESSIONS = 20

SERVER_ENV = {
    **os.environ,
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "bench-only-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": DATABASE_URL,
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/5"),
    "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "bulletin-bench-static"),
}

LUA = """
local sessions = {%s}
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = "sessionid=" .. sessions[(counter %% #sessions) + 1]
  return wrk.format(nil, nil)
end
"""


def setup_django():
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", **SERVER_ENV})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database():
    import psycopg2

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def ensure_archive():
    from django.core.management import call_command

    from apps.articles.models import Article

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Article.objects.count() < 10_000:
        call_command("generate_content")


def subscriber_sessions():
    """Session keys of signed-in, current subscribers (leaders and others)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from apps.subscribers.selectors import current_subscribers

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    keys = []
    for subscriber in current_subscribers().select_related("user").order_by("pk")[:SESSIONS]:
        user = subscriber.user
        session = store_class()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        session.save()
        keys.append(session.session_key)
    return keys


def targets():
    from apps.articles.models import Article, Industry
    from apps.issues.models import Issue

    issue = Issue.objects.filter(status=Issue.Status.PUBLISHED).order_by("-published_at").first()
    article = (
        Article.objects.filter(issue=issue, visibility=Article.Visibility.ALL)
        .order_by("position")
        .first()
    )
    industry = Industry.objects.get(slug="new-materials")
    return [
        ("trivial view (/ping)", "/ping"),
        ("issue page", issue.get_absolute_url()),
        ("article page", article.get_absolute_url()),
        ("industry page", f"/industries/{industry.slug}/"),
        ("search 科技创新", "/search/?q=%E7%A7%91%E6%8A%80%E5%88%9B%E6%96%B0"),
    ]


def start_server():
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{PORT}"]
    command += ["--workers", WORKERS, "--worker-class", "sync", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=SERVER_ENV)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def worker_rss_mib(server):
    """The largest resident memory of gunicorn's workers (children of the master)."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == server.pid:
                status = (stat.parent / "status").read_text()
                sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        except (OSError, IndexError, ValueError, AttributeError):
            continue  # a process that ended while we looked
    return max(sizes) if sizes else 0.0


def run_wrk(path, script, connections):
    command = [shutil.which("wrk") or "wrk", "-t2", f"-c{connections}", f"-d{DURATION}"]
    command += ["--latency", "-s", script, f"http://127.0.0.1:{PORT}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, _ms(latency["50"]), _ms(latency["99"]), int(errors.group(1)) if errors else 0


def _ms(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main():
    ensure_database()
    setup_django()
    ensure_archive()
    sessions = subscriber_sessions()
    pages = targets()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(f'"{key}"' for key in sessions))
    server = start_server()
    try:
        for _, path in pages:  # warm up: imports, the segmenter, caches
            for key in sessions[:4]:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={key}"}
                )
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    if response.status != 200:
                        raise SystemExit(f"{path} answered {response.status}")
        rows = [
            (
                name,
                run_wrk(path, script.name, CONNECTIONS),
                run_wrk(path, script.name, LIGHT_CONNECTIONS),
            )
            for name, path in pages
        ]
        rss = worker_rss_mib(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        os.unlink(script.name)

    floor = rows[0][1][0]
    print(f"\ngunicorn {WORKERS} sync workers; wrk {DURATION} per page and load")
    print(
        f"{'':<22}{f'{CONNECTIONS} connections':>44}{f'{LIGHT_CONNECTIONS} connections':>22}\n"
        f"{'page':<22}{'req/s':>10}{'vs trivial':>12}{'p50 ms':>11}{'p99 ms':>11}"
        f"{'p50 ms':>11}{'p99 ms':>11}{'errors':>8}"
    )
    for name, (rps, p50, p99, errors), (_, light50, light99, light_errors) in rows:
        print(
            f"{name:<22}{rps:>10.0f}{rps / floor:>11.1%}{p50:>11.2f}{p99:>11.2f}"
            f"{light50:>11.2f}{light99:>11.2f}{errors + light_errors:>8}"
        )
    print(f"largest gunicorn worker RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
