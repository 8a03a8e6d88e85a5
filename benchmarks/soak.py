"""make soak: production settings under load, with PostgreSQL and Redis failing on purpose.

Loopback only, bounded in time. Setup: gunicorn (production settings), PostgreSQL (its own
database, a generated archive), a Redis server of its own on a free port. Then, for each run,
SOAK_READERS signed-in readers request home, issue, article and search pages without pause for
SOAK_SECONDS, and one writer sends a feedback message every second. Runs:

- plain;
- postgres: PostgreSQL is restarted a third of the way in;
- redis: Redis is stopped a third of the way in and started again at two thirds.

Every request's time and outcome is kept. Afterwards: errors (5xx or no answer) and when they
happened, whether they stayed inside the outage, and whether every feedback the server
acknowledged (302) is in the database. The table is printed and written to docs/reliability.md.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get(
    "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_soak"
)
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
READERS = int(os.environ.get("SOAK_READERS", "50"))
WORKERS = os.environ.get("SOAK_WORKERS", "3")
RUNS = os.environ.get("SOAK_RUNS", "plain,postgres,redis").split(",")
REPORT = ROOT / "docs" / "reliability.md"
PG_CLUSTER = os.environ.get("SOAK_PG_CLUSTER", "")  # e.g. "15 main"; found by default


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


REDIS_PORT = free_port()
WEB_PORT = free_port()
SERVER_ENV = {
    **os.environ,
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "soak-only-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": DATABASE_URL,
    "CACHE_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "STATIC_ROOT": str(ROOT / ".cache" / "soak-static"),
    "LOG_LEVEL": "WARNING",
}


# --- Services ---------------------------------------------------------------------------------


class Redis:
    def __init__(self):
        self.process = None

    def start(self):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(  # noqa: S603 - loopback, nothing kept on disk
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(REDIS_PORT)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def restart_postgres():
    cluster = PG_CLUSTER.split() or [sorted(os.listdir("/etc/postgresql"))[-1], "main"]
    subprocess.run(  # noqa: S603 - the machine's own PostgreSQL cluster
        [
            shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster",
            "--skip-systemctl-redirect",
            *cluster,
            "restart",
        ],
        check=True,
    )


def setup_django():
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", **SERVER_ENV})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database():
    import psycopg2

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def ensure_archive():
    from django.core.management import call_command

    from apps.articles.models import Article

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Article.objects.exists():
        call_command("generate_content", issues=100, subscribers=600)


def sessions(count):
    """Session keys of signed-in current subscribers, created as a login would."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from apps.subscribers.selectors import current_subscribers

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    keys = []
    for subscriber in current_subscribers().select_related("user").order_by("pk")[:count]:
        session = store_class()
        session[SESSION_KEY] = str(subscriber.user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = subscriber.user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    if len(keys) < count:
        raise SystemExit(f"only {len(keys)} current subscribers; the archive needs more")
    return keys


def pages():
    from apps.articles.models import Article
    from apps.issues.models import Issue

    issue = Issue.objects.live().order_by("-published_at").first()
    article = Article.objects.filter(issue=issue, visibility=Article.Visibility.ALL).first()
    return [
        "/",
        issue.get_absolute_url(),
        article.get_absolute_url(),
        "/search/?q=" + urllib.parse.quote("科技创新"),
    ]


def start_web():
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{WEB_PORT}",
            "--workers",
            WORKERS,
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=SERVER_ENV,
    )
    wait_for_port(WEB_PORT)
    return server


# --- Load ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    at: float
    ok: bool
    detail: str


@dataclass
class Run:
    name: str
    started: float = 0.0
    outage: tuple[float, float] | None = None
    reads: list = field(default_factory=list)
    writes: list = field(default_factory=list)  # (message, acknowledged)


def fetch(connection_box, method, path, cookie, body=None):
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    for attempt in range(2):  # a kept-alive connection the server closed: open a new one
        try:
            if connection_box[0] is None:
                connection_box[0] = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=30)
            connection_box[0].request(method, path, body=body, headers=headers)
            response = connection_box[0].getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            connection_box[0] = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def reader(run, key, paths, stop):
    box, index = [None], 0
    cookie = f"sessionid={key}"
    while not stop.is_set():
        path = paths[index % len(paths)]
        index += 1
        try:
            status, _ = fetch(box, "GET", path, cookie)
            run.reads.append(Outcome(time.monotonic() - run.started, status < 500, str(status)))
        except OSError as error:
            run.reads.append(Outcome(time.monotonic() - run.started, False, type(error).__name__))


def writer(run, keys, stop):
    box, number = [None], 0
    while not stop.is_set():
        key = keys[number % len(keys)]  # five messages an hour per reader: rotate
        number += 1
        message = f"压力测试意见 {run.name} #{number}"
        cookie = f"sessionid={key}"
        try:
            _, page = fetch(box, "GET", "/feedback/", cookie)
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            cookie += f"; csrftoken={token.decode()}"  # a token is valid as its own cookie too
            body = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token.decode(), "message": message}
            )
            status, _ = fetch(box, "POST", "/feedback/", cookie, body)
            run.writes.append((message, status == 302))
        except (OSError, AttributeError):
            run.writes.append((message, False))
        stop.wait(1.0)


def soak(name, paths, reader_keys, writer_keys, redis):
    run = Run(name)
    stop = threading.Event()
    threads = [
        threading.Thread(target=reader, args=(run, reader_keys[i], paths, stop))
        for i in range(READERS)
    ]
    threads.append(threading.Thread(target=writer, args=(run, writer_keys, stop)))
    run.started = time.monotonic()
    for thread in threads:
        thread.start()
    if name == "postgres":
        time.sleep(SECONDS / 3)
        begin = time.monotonic() - run.started
        restart_postgres()
        run.outage = (begin, time.monotonic() - run.started)
    elif name == "redis":
        time.sleep(SECONDS / 3)
        begin = time.monotonic() - run.started
        redis.stop()
        time.sleep(SECONDS / 3)
        redis.start()
        run.outage = (begin, time.monotonic() - run.started)
    time.sleep(max(0.0, SECONDS - (time.monotonic() - run.started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return run


def lost_writes(run):
    from django.db import connection

    from apps.feedback.models import Feedback

    connection.close()  # the server may have restarted
    acknowledged = {message for message, ok in run.writes if ok}
    stored = set(
        Feedback.objects.filter(message__in=acknowledged).values_list("message", flat=True)
    )
    return len(acknowledged - stored), len(acknowledged)


# --- Report ---------------------------------------------------------------------------------------


def summary(run):
    errors = [outcome for outcome in run.reads if not outcome.ok]
    inside = outside = 0
    for error in errors:
        # Requests already queued when the outage began may fail a moment after it ended.
        if run.outage and run.outage[0] - 0.5 <= error.at <= run.outage[1] + 2.0:
            inside += 1
        else:
            outside += 1
    after = [o for o in run.reads if run.outage and o.at > run.outage[1] + 2.0]
    recovered = all(o.ok for o in after[-200:]) if after else True
    lost, acknowledged = lost_writes(run)
    return {
        "run": run.name,
        "requests": len(run.reads),
        "per_second": round(len(run.reads) / SECONDS),
        "errors": len(errors),
        "outside": outside,
        "outage": f"{run.outage[0]:.1f}–{run.outage[1]:.1f} s" if run.outage else "—",
        "recovered": "yes" if recovered else "no",
        "writes": acknowledged,
        "lost": lost,
        "kinds": ", ".join(sorted({e.detail for e in errors})) or "—",
    }


def verdict(row):
    if row["run"] == "plain":
        return row["errors"] == 0 and row["lost"] == 0
    if row["run"] == "redis":
        return row["errors"] == 0 and row["lost"] == 0
    return row["outside"] == 0 and row["recovered"] == "yes" and row["lost"] == 0


def table(rows):
    columns = [
        "run", "requests", "req/s", "errors", "errors outside the outage", "outage",
        "recovered without restart", "feedback acknowledged", "lost", "target met",
    ]  # fmt: skip
    lines = [
        "| " + " | ".join(columns) + " |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['run']} | {row['requests']} | {row['per_second']} | {row['errors']} "
            f"({row['kinds']}) | {row['outside']} | {row['outage']} | {row['recovered']} | "
            f"{row['writes']} | {row['lost']} | {'yes' if verdict(row) else 'NO'} |"
        )
    return "\n".join(lines)


def main():
    redis = Redis()
    redis.start()
    ensure_database()
    setup_django()
    ensure_archive()
    keys = sessions(READERS + 180)
    reader_keys, writer_keys = keys[:READERS], keys[READERS:]
    # Five feedback messages an hour per reader: each run writes as readers of its own.
    writer_keys = writer_keys[int(time.time() // 60) % 3 * 60 :][:60]
    paths = pages()
    server = start_web()
    rows = []
    try:
        for name in RUNS:
            print(f"== {name}: {READERS} readers and one writer for {SECONDS:.0f} s", flush=True)
            rows.append(summary(soak(name, paths, reader_keys, writer_keys, redis)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        redis.stop()
    report = table(rows)
    print(report)
    if set(RUNS) == {"plain", "postgres", "redis"} and SECONDS >= 60:
        write_report(report)
    if not all(verdict(row) for row in rows):
        raise SystemExit("the soak missed a target")


def write_report(report):
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    marker = "<!-- soak table -->"
    head = text.split(marker)[0] if marker in text else text
    stamp = time.strftime("%Y-%m-%d %H:%M")
    about = f"Last run: {stamp}, {READERS} readers, {SECONDS:.0f} s a run, {WORKERS} workers."
    REPORT.write_text(f"{head}{marker}\n{about}\n\n{report}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
