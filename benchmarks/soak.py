"""make soak: production settings under load, with PostgreSQL and Redis failing on purpose.

Loopback only, bounded in time. Setup: gunicorn (production settings), PostgreSQL (its own
database, a generated archive), a Redis server of its own on a free port. Then, for each run,
SOAK_READERS signed-in readers request home, issue, article and search pages without pause for
SOAK_SECONDS, and one writer sends a feedback message every second. Runs:

- plain;
- postgres: PostgreSQL is restarted a third of the way in;
- redis: Redis is stopped a third of the way in and started again at two thirds;
- worker: no readers; the background worker (`manage.py worker`, production settings) sends a
  new issue's e-mail to SOAK_MAIL subscribers through a slow SMTP sink of its own while
  PostgreSQL is restarted, then stopped for STOP_SECONDS and started again.

Every request's time and outcome is kept. Afterwards: errors (5xx or no answer) and when they
happened, whether they stayed inside the outage, and whether every feedback the server
acknowledged (302) is in the database. For the worker run: mail queued, received, received
twice and never received, whether the worker is still running, its heartbeat and health check
after the outage, and whether each line it logged is JSON. The tables are printed and written
to docs/reliability.md.
"""

import http.client
import json
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get(
    "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_soak"
)
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
READERS = int(os.environ.get("SOAK_READERS", "50"))
WORKERS = os.environ.get("SOAK_WORKERS", "3")
DEFAULT_RUNS = ["plain", "postgres", "worker", "redis"]
RUNS = os.environ.get("SOAK_RUNS", ",".join(DEFAULT_RUNS)).split(",")
REPORT = ROOT / "docs" / "reliability.md"
PG_CLUSTER = os.environ.get("SOAK_PG_CLUSTER", "")  # e.g. "15 main"; found by default
# The worker run: subscribers with an address, seconds the sink takes over each message (so the
# mail is in flight for a while), how long PostgreSQL stays stopped, and how long the mail
# may take to go out after that.
MAIL_READERS = int(os.environ.get("SOAK_MAIL", "500"))
MAIL_DELAY = 0.08
STOP_SECONDS = 20
MAIL_DEADLINE = 180
WORKER_LOG = ROOT / ".cache" / "soak-worker.log"


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
    postgres("restart")


def postgres(action):
    """Restart, stop or start the machine's PostgreSQL cluster."""
    cluster = PG_CLUSTER.split() or [sorted(os.listdir("/etc/postgresql"))[-1], "main"]
    subprocess.run(  # noqa: S603 - the machine's own PostgreSQL cluster
        [
            shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster",
            "--skip-systemctl-redirect",
            *cluster,
            action,
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

    # The archive's newest issue, not one that a worker run published.
    issue = Issue.objects.live().filter(title__startswith="［生成］").order_by("-published_at")
    issue = issue.first()
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


# --- The worker under a PostgreSQL restart and stop -----------------------------------------------

SOAK_ISSUE_TITLE = "［压力测试］后台进程"


class Sink:
    """An aiosmtpd handler that takes MAIL_DELAY over each message and keeps, for each one,
    when it arrived, its recipient and its Message-ID."""

    def __init__(self):
        self.received = []  # (monotonic time, recipient, Message-ID)

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(MAIL_DELAY)
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break  # end of the headers
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        for recipient in envelope.rcpt_tos:
            self.received.append((time.monotonic(), recipient, message_id))
        return "250 Message accepted for delivery"


def ensure_mail_readers():
    """MAIL_READERS current subscribers who asked for the issue's e-mail, with an address."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from apps.subscribers.models import Subscriber

    user_model = get_user_model()
    names = [f"mailreader{index:04d}" for index in range(MAIL_READERS)]
    missing = sorted(
        set(names)
        - set(user_model.objects.filter(username__in=names).values_list("username", flat=True))
    )
    users = user_model.objects.bulk_create(
        user_model(username=name, email=f"{name}@example.com", password=make_password(None))
        for name in missing
    )
    today = timezone.localdate()
    Subscriber.objects.bulk_create(
        Subscriber(
            user=user,
            kind=Subscriber.Kind.ENTERPRISE,
            organization=f"压力测试单位{user.username[-4:]}",
            region=Subscriber.Region.values[0],
            valid_until=today,
        )
        for user in users
    )
    # Current whenever the soak runs.
    Subscriber.objects.filter(user__username__in=names).update(
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=3650),
        notify_by_email=True,
    )


def ready_issue():
    """A new issue in review with three approved articles, and a reviewer who may publish it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from apps.articles.models import Article, Section
    from apps.issues.models import Issue
    from apps.notifications import deliveries

    # What an earlier worker run left unsent must not reach this run's sink.
    for earlier in Issue.objects.filter(title=SOAK_ISSUE_TITLE):
        deliveries.cancel_pending(earlier)
    taken = set(Issue.objects.values_list("year", "number"))
    year, number = next(
        (year, number)
        for year in range(2100, 1999, -1)
        for number in range(1, 100)
        if (year, number) not in taken
    )
    issue = Issue.objects.create(
        year=year,
        number=number,
        title=SOAK_ISSUE_TITLE,
        editor_note="<p>后台进程压力测试：发送本期邮件时重启并停止数据库。</p>",
        status=Issue.Status.REVIEW,
    )
    section = Section.objects.order_by("order").first()
    for position in range(1, 4):
        Article.objects.create(
            issue=issue,
            section=section,
            position=position,
            title=f"压力测试文章{position}",
            summary="压力测试摘要",
            body="<p>压力测试正文。</p>",
            status=Article.Status.APPROVED,
        )
    reviewer, _ = get_user_model().objects.get_or_create(
        username="soak-reviewer", defaults={"is_staff": True, "password": make_password(None)}
    )
    reviewer.groups.add(Group.objects.get(name="审核"))
    # As django-otp's middleware marks a session that passed the second factor.
    reviewer.is_verified = lambda: True
    return issue, reviewer


def start_worker(port, worker_id):
    environment = {
        **SERVER_ENV,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",  # each attempt to reconnect, and the reconnection
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
    }
    WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with WORKER_LOG.open("w", encoding="utf-8") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "worker", "--no-reload", "--worker-id", worker_id],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def until(condition, seconds, pause=0.2):
    """Wait until `condition()` holds or `seconds` pass; return whether it held. A lost
    database connection (PostgreSQL restarting) counts as "not yet"."""
    from django.db import DatabaseError, connection

    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return True
        except DatabaseError:
            connection.close()  # the next query opens a fresh one
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)


def worker_run():
    """Send an issue's mail with the real worker while PostgreSQL restarts, then stops."""
    from aiosmtpd.controller import Controller
    from django.db import connection
    from django.utils import timezone

    from apps.notifications.models import Delivery, WorkerHeartbeat
    from apps.workflow import steps

    ensure_mail_readers()
    issue, reviewer = ready_issue()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker_id = f"soak-{os.getpid()}-{int(time.time())}"
    worker = start_worker(port, worker_id)
    beats = WorkerHeartbeat.objects.filter(worker_id=worker_id)
    stopped = False
    try:
        if not until(beats.exists, 60):
            raise SystemExit(f"the worker never beat; see {WORKER_LOG}")
        steps.perform(issue, "publish", by=reviewer)
        rows = Delivery.objects.filter(issue=issue)
        queued = set(rows.values_list("subscriber__user__email", flat=True))
        prefix = f"<issue-{issue.pk}."

        def received():
            return [r for r in sink.received if r[2].startswith(prefix)]

        # A restart once a tenth of the mail is out, a stop of STOP_SECONDS at three tenths.
        until(lambda: len(received()) >= len(queued) // 10, 60)
        at_restart = len(received())
        restart_postgres()
        until(lambda: len(received()) >= len(queued) * 3 // 10, 60)
        at_stop = len(received())
        postgres("stop")
        stopped = True
        time.sleep(STOP_SECONDS)
        alive_in_stop = worker.poll() is None
        postgres("start")
        stopped = False
        back, back_at = time.monotonic(), timezone.now()
        connection.close()

        all_sent = until(
            lambda: not rows.exclude(status=Delivery.Status.SENT).exists(), MAIL_DEADLINE, 0.5
        )
        time.sleep(2)  # a duplicate, if any, would arrive now
        recovered = until(beats.filter(beat_at__gt=back_at).exists, 30)
        health = subprocess.run(
            [sys.executable, "manage.py", "worker_health"],
            cwd=ROOT,
            env=SERVER_ENV,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        running = alive_in_stop and worker.poll() is None
        statuses = dict(Counter(rows.values_list("status", flat=True)))
    finally:
        if stopped:
            postgres("start")
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        controller.stop()

    mail = received()
    times = Counter(recipient for _, recipient, _ in mail)
    lines = [line for line in WORKER_LOG.read_text(encoding="utf-8").splitlines() if line.strip()]
    records, bare = [], []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            bare.append(line)
    events = Counter(record.get("event", "") for record in records)
    last = max((at for at, _, _ in mail), default=back)
    return {
        "run": "worker",
        "queued": len(queued),
        "delivered": len(mail),
        "duplicates": sum(count - 1 for count in times.values()),
        "lost": len(queued - set(times)),
        "in_flight": f"{at_restart} / {at_stop}",
        "running": "yes" if running else "no",
        "recovered": "yes" if recovered else "no",
        "health": "pass" if health.returncode == 0 else "fail",
        "after_stop": f"{max(0.0, last - back):.1f} s",
        "all_sent": all_sent,
        "statuses": statuses,
        "log_lines": len(lines),
        "not_json": len(bare),
        "bare": bare[:20],
        "unavailable": events["database_unavailable"],
        "requeued": events["task_requeued"],
        "health_output": (health.stdout + health.stderr).strip(),
    }


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


def worker_verdict(row):
    return (
        row["duplicates"] == 0
        and row["lost"] == 0
        and row["running"] == "yes"
        and row["recovered"] == "yes"
        and row["health"] == "pass"
        and row["not_json"] == 0
    )


def worker_table(rows):
    columns = [
        "run", "mail queued", "delivered", "duplicates", "lost",
        "received at the restart / the stop", "worker still running",
        "heartbeat after the stop", "worker_health", "last mail after the stop",
        "log lines (not JSON)", "database_unavailable lines", "target met",
    ]  # fmt: skip
    lines = [
        "| " + " | ".join(columns) + " |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['run']} | {row['queued']} | {row['delivered']} | {row['duplicates']} | "
            f"{row['lost']} | {row['in_flight']} | {row['running']} | {row['recovered']} | "
            f"{row['health']} | {row['after_stop']} | {row['log_lines']} ({row['not_json']}) | "
            f"{row['unavailable']} | {'yes' if worker_verdict(row) else 'NO'} |"
        )
    return "\n".join(lines)


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
    try:  # a failed setup must not leave our Redis behind
        rows, worker_rows = runs(redis)
    finally:
        redis.stop()
    report = "\n\n".join(
        part for part in [rows and table(rows), worker_rows and worker_table(worker_rows)] if part
    )
    print(report)
    for row in worker_rows:
        print(f"worker: deliveries by status {row['statuses']}; {row['requeued']} tasks requeued;")
        print(f"worker_health: {row['health_output']}")
        print(f"worker log: {WORKER_LOG}")
        for line in row["bare"]:
            print(f"  not JSON: {line}")
    if set(RUNS) == set(DEFAULT_RUNS) and SECONDS >= 60:
        write_report(table(rows), worker_table(worker_rows))
    if not (all(verdict(row) for row in rows) and all(worker_verdict(r) for r in worker_rows)):
        raise SystemExit("the soak missed a target")


def runs(redis):
    """Set up, run each of RUNS and return the rows of both tables."""
    ensure_database()
    setup_django()
    ensure_archive()
    keys = sessions(READERS + 180)
    reader_keys, writer_keys = keys[:READERS], keys[READERS:]
    # Five feedback messages an hour per reader: each run writes as readers of its own.
    writer_keys = writer_keys[int(time.time() // 60) % 3 * 60 :][:60]
    paths = pages()
    server = start_web()
    rows, worker_rows = [], []
    try:
        for name in RUNS:
            if name == "worker":
                print(
                    f"== worker: {MAIL_READERS} e-mails, PostgreSQL restarted, "
                    f"then stopped for {STOP_SECONDS} s",
                    flush=True,
                )
                worker_rows.append(worker_run())
                continue
            print(f"== {name}: {READERS} readers and one writer for {SECONDS:.0f} s", flush=True)
            rows.append(summary(soak(name, paths, reader_keys, writer_keys, redis)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return rows, worker_rows


def write_report(report, worker_report):
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    marker = "<!-- soak table -->"
    head = text.split(marker)[0] if marker in text else text
    stamp = time.strftime("%Y-%m-%d %H:%M")
    about = f"Last run: {stamp}, {READERS} readers, {SECONDS:.0f} s a run, {WORKERS} workers."
    about_worker = (
        f"The worker under a PostgreSQL restart and a {STOP_SECONDS} s stop, "
        f"{MAIL_DELAY:.2f} s a message at the SMTP sink:"
    )
    REPORT.write_text(
        f"{head}{marker}\n{about}\n\n{report}\n\n{about_worker}\n\n{worker_report}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
