"""`make bench`: the reader pages under gunicorn on PostgreSQL, beside a trivial view, and
publishing an issue to 2,000 subscribers.

Builds (once) a generated archive in its own database, signs in a set of subscribers, starts
gunicorn with production settings on 127.0.0.1, drives each page with wrk for a fixed time,
and prints requests/s, p50 and p99 latency, the ratio to the trivial view and worker memory.

Then a reviewer signs in to the admin over HTTP (password and TOTP code, as in production) and
publishes an issue in review to 2,000 e-mail subscribers; `manage.py worker` sends the issue's
e-mail to an SMTP sink in this process. Printed: the reviewer's request time, the time until
the sink has all 2,000 messages, e-mails per second and the worker's peak memory.

The PDF: the demo's sample issue (9 pages), put into the archive under a number of its own for
the run, downloaded one at a time by the signed-in subscribers (leaders and others): warm (its
audience's document in the cache, the reader's mark stamped on), cold (the first download after
an edit, which renders it again) and right after the server started; and the file's size.

Last, the searches again on an archive of 100,000 articles in a second database (made once:
generating it takes a while), against the trivial view of that run.

Then the intake pool (素材库), in a third database (benchmarks/intake_bench.py, a child run):
a fetching round over 200 loopback feeds of 30 Chinese pages each (a quarter GBK, 30% reprints)
in one worker process, the desk's list and search over 100,000 clippings as a signed-in editor,
and the reprint and tagger quality figures.

Each page and search has its target printed beside it (met / NOT MET); the run exits with 1
when one is missed. The searches are measured twice: as wrk repeats one URL (every reader of
an audience who asks the same gets the page cache's copy) and with the cache bypassed (every
request a query nobody asked before).

Everything is bounded: a few seconds per page, at most BENCH_MAIL_TIMEOUT seconds for the
mail, loopback only; the server, the worker and the sink are stopped at the end.
Then the dashboard's rollups (issue 23), in a fourth database (benchmarks/insight_bench.py, a
child run): 5,000,000 readings of 500 issues, `rebuild_rollups`, a minute's refresh, the
dashboard as 订户管理 and the year's report as PDF.

BENCH_PARTS=pages, pdf, mail, large, intake or insight (comma-separated) runs those parts only.
"""

import http.client
import io
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from typing import NamedTuple

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
PARTS = os.environ.get("BENCH_PARTS", "pages,pdf,mail,large,intake,insight").split(",")
# The archive's size. `large` runs the reader pages again on a second archive of
# LARGE_ARTICLES, in its own database (a child run of this script with BENCH_PAGES=search).
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "10000"))
LARGE_ARTICLES = 100_000
LARGE_DATABASE_URL = os.environ.get(
    "BENCH_LARGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_100k"
)
# `intake` runs benchmarks/intake_bench.py on a database of its own (its 100,000 clippings are
# kept there between runs); its tagger figures are on this archive.
INTAKE_DATABASE_URL = os.environ.get(
    "BENCH_INTAKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_intake"
)
# `insight` runs benchmarks/insight_bench.py on a database of its own (its 5,000,000 readings
# are kept there between runs).
INSIGHT_DATABASE_URL = os.environ.get(
    "BENCH_INSIGHT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_insight"
)
# Which pages: "all", or "search" (the trivial view and the searches only).
PAGES = os.environ.get("BENCH_PAGES", "all")
ARTICLES_PER_ISSUE = 20
MAIL_SUBSCRIBERS = 2000
MAIL_TIMEOUT = float(os.environ.get("BENCH_MAIL_TIMEOUT", "300"))
REQUEST_TARGET = 1.0  # seconds: the reviewer's publish request
RSS_TARGET = 120  # MiB: the largest gunicorn worker after the pages, and the mail worker's peak
MAIL_USER_PREFIX = "mailbench"
MAIL_ISSUE_TITLE = "［邮件基准］"
# Work-group robots announced the issue alongside the e-mail (apps/push), on a loopback server
# that speaks the three vendors' webhook APIs (tests/push/vendor_server.py).
PUSH_CHANNELS = 30
PUSH_SECONDS = 10.0  # every channel's card, after the reviewer's response
PUSH_CHANNEL_PREFIX = "［推送基准］"
PDF_ISSUE = {"year": 2099, "number": 12}  # the sample issue, under a number the archive lacks
PDF_DOWNLOADS = int(os.environ.get("BENCH_PDF_DOWNLOADS", "40"))
PDF_COLD = 3
PDF_WARM_TARGET, PDF_COLD_TARGET = 0.150, 2.0  # seconds
REVIEWER = "bench-reviewer"
REVIEWER_PASSWORD = "bench-only-" + "r" * 20

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

# Each request as one of the signed-in readers, in turn. With `queries` given, each request
# asks a different one of them (the two threads take turns through the list), so the page cache
# never has its copy: every request runs the whole search, as a query nobody asked since the
# last change. The list is longer than the requests of a run, and the cache starts empty.
LUA = """
local sessions = {%s}
local queries = {%s}
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = "sessionid=" .. sessions[(counter %% #sessions) + 1]
  if #queries > 0 then
    local path = "/search/?q=" .. queries[((counter - 1) * 2 + tid - 1) %% #queries + 1]
    return wrk.format(nil, path)
  end
  return wrk.format(nil, nil)
end
"""


def fresh_queries():
    """Two-word searches as readers type them, from the generated archive's own vocabulary
    (places, topics, subjects, actions, measures): about 900, all different, URL-encoded."""
    from apps.demo.management.commands import generate_content as vocabulary

    pairs = [
        (vocabulary.PLACES, vocabulary.TOPICS),
        (vocabulary.TOPICS, vocabulary.SUBJECTS),
        (vocabulary.SUBJECTS, vocabulary.OBJECTS),
        (vocabulary.PLACES, vocabulary.ACTIONS),
        (vocabulary.TOPICS, vocabulary.OBJECTS),
    ]
    queries = [f"{a} {b}" for first, second in pairs for a in first for b in second]
    random.Random(2026).shuffle(queries)  # noqa: S311 - an order, not a secret
    return [urllib.parse.quote(query) for query in queries]


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
    if Article.objects.count() < ARTICLES:
        print(f"generating an archive of {ARTICLES:,} articles (once; kept in its database)")
        call_command("generate_content", issues=ARTICLES // ARTICLES_PER_ISSUE)
    # As autovacuum does soon after a bulk load: GIN's pending entries merged, statistics
    # fresh. Measuring before it ran would measure the load, not the pages.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


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
        # The backend that signs readers in; the first one (django-axes) only refuses logins.
        session[BACKEND_SESSION_KEY] = "apps.accounts.backends.UsernameEmailOrMobileBackend"
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
    common = "/search/?q=%E7%A7%91%E6%8A%80%E5%88%9B%E6%96%B0"  # 科技创新
    search = [
        Page("search 科技创新", common, min_ratio=0.10, max_p99=SEARCH_P99[ARTICLES > 10_000]),
        Page("search 新材 (part of a word)", "/search/?q=%E6%96%B0%E6%9D%90"),
        # A different two-word query at every request: what a search costs the first time.
        Page("search, a new query each time", "/search/", fresh=True),
    ]
    if PAGES == "search":
        return [Page("trivial view (/ping)", "/ping"), *search]
    return [
        Page("trivial view (/ping)", "/ping"),
        Page("home", "/", min_ratio=0.20),
        Page("archive", "/issues/", min_ratio=0.20),
        Page("industry map", "/industries/", min_ratio=0.20),
        Page("issue page", issue.get_absolute_url(), min_ratio=0.25),
        Page("article page", article.get_absolute_url(), min_ratio=0.25),
        Page("industry page", f"/industries/{industry.slug}/", min_ratio=0.20),
        *search,
    ]


class Page(NamedTuple):
    """A page to measure, with its targets: throughput as a share of the trivial view's, and
    p99 latency in ms at CONNECTIONS; `fresh`: every request a search not asked before."""

    name: str
    path: str
    min_ratio: float | None = None
    max_p99: float | None = None
    fresh: bool = False


# Search p99 at 8 connections (ms): 10,000 articles, and the large archive.
SEARCH_P99 = {False: 100.0, True: 200.0}


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


# --- Publishing an issue to 2,000 subscribers --------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_mail_subscribers():
    """MAIL_SUBSCRIBERS current subscribers who asked for the issue's e-mail, each following
    two industries; made once, their period moved to include today on every run."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from apps.articles.models import Industry
    from apps.notifications.deliveries import recipients
    from apps.subscribers.models import Subscriber

    user_model = get_user_model()
    users = user_model.objects.filter(username__startswith=MAIL_USER_PREFIX)
    if users.count() != MAIL_SUBSCRIBERS:
        users.delete()
        rng = random.Random(2026)  # noqa: S311 - test data, reproducible on purpose
        password = make_password(None)  # nobody signs in as them
        created = user_model.objects.bulk_create(
            (
                user_model(
                    username=f"{MAIL_USER_PREFIX}{index:05d}",
                    last_name=f"订户{index}",
                    email=f"{MAIL_USER_PREFIX}{index:05d}@mail.bench.example.com",
                    password=password,
                )
                for index in range(MAIL_SUBSCRIBERS)
            ),
            batch_size=1000,
        )
        # A quarter are leaders: the e-mail's contents are built for two audiences.
        kinds = [Subscriber.Kind.LEADERSHIP, Subscriber.Kind.ENTERPRISE]
        kinds += [Subscriber.Kind.ENTERPRISE, Subscriber.Kind.OTHER]
        subscribers = Subscriber.objects.bulk_create(
            (
                Subscriber(
                    user=user,
                    kind=kinds[index % len(kinds)],
                    organization=f"邮件测试单位{index}",
                    region=rng.choice(Subscriber.Region.values),
                    valid_until=timezone.localdate(),
                )
                for index, user in enumerate(created)
            ),
            batch_size=1000,
        )
        industries = list(Industry.objects.values_list("pk", flat=True))
        through = Subscriber.industries.through
        through.objects.bulk_create(
            (
                through(subscriber_id=subscriber.pk, industry_id=industry)
                for subscriber in subscribers
                for industry in rng.sample(industries, 2)
            ),
            batch_size=5000,
        )
    today = timezone.localdate()
    users.update(is_active=True)
    Subscriber.objects.filter(user__username__startswith=MAIL_USER_PREFIX).update(
        valid_from=today - timezone.timedelta(days=30),
        valid_until=today + timezone.timedelta(days=365),
        notify_by_email=True,
    )
    eligible = recipients().count()
    if eligible != MAIL_SUBSCRIBERS:
        raise SystemExit(f"{eligible} subscribers would get the e-mail, not {MAIL_SUBSCRIBERS}")


def ensure_reviewer():
    """A reviewer with a password and a new TOTP device; returns the device."""
    return ensure_staff(REVIEWER, REVIEWER_PASSWORD, "审核")


def ensure_staff(username, password, role):
    """A member of `role` with `password` and a new TOTP device; returns the device."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=role))
    # A new device each run: a code is accepted once, and runs may follow within 30 s.
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def create_mail_issue():
    """An issue in review with the newest generated issue's articles, approved."""
    from apps.articles.models import Article
    from apps.issues.models import Issue

    source = (
        Issue.objects.filter(status=Issue.Status.PUBLISHED, title__startswith="［生成］")
        .order_by("-published_at")
        .first()
    )
    issue = Issue.objects.create(
        year=2100,
        number=99,
        title=f"{MAIL_ISSUE_TITLE}{source.title.removeprefix('［生成］')}",
        editor_note=source.editor_note,
        status=Issue.Status.REVIEW,
    )
    originals = list(Article.objects.filter(issue=source).prefetch_related("industries"))
    fields = ["section_id", "position", "title", "subtitle", "source", "author", "summary"]
    fields += ["body", "visibility"]
    copies = Article.objects.bulk_create(
        Article(
            issue=issue,
            status=Article.Status.APPROVED,
            **{name: getattr(original, name) for name in fields},
        )
        for original in originals
    )
    through = Article.industries.through
    through.objects.bulk_create(
        through(article_id=copy.pk, industry_id=industry.pk)
        for copy, original in zip(copies, originals, strict=True)
        for industry in original.industries.all()
    )
    return issue, len(copies)


def remove_mail_issue():
    """Delete the issue this part publishes, with its articles and e-mails, so that the
    archive the pages are measured on stays as generated."""
    from django.db import transaction

    from apps.articles.models import Article
    from apps.issues.models import Issue
    from apps.search.indexing import refresh

    issues = Issue.objects.filter(title__startswith=MAIL_ISSUE_TITLE)
    ids = list(Article.objects.filter(issue__in=issues).values_list("pk", flat=True))
    with transaction.atomic():
        Article.objects.filter(pk__in=ids).delete()
        issues.delete()
    refresh(ids)


class MailSink:
    """An SMTP server's handler (aiosmtpd) that accepts everything and counts the messages
    of one issue by their Message-ID, noting when the first and the last arrived and over how
    many connections they came."""

    MESSAGE_ID = re.compile(rb"^Message-ID:\s*<(issue-\d+\.\d+)@", re.MULTILINE | re.IGNORECASE)

    def __init__(self, issue_id, expected):
        self.prefix = f"issue-{issue_id}.".encode()
        self.expected = expected
        self.ids = set()
        self.messages = 0
        self.connections = 0
        self.first = self.last = None
        self.done = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        found = self.MESSAGE_ID.search(envelope.original_content or b"")
        if found and found.group(1).startswith(self.prefix):
            now = time.monotonic()
            self.first = self.first or now
            self.messages += 1
            if not getattr(session, "counted", False):  # one session per connection
                session.counted = True
                self.connections += 1
            self.ids.add(found.group(1))
            if len(self.ids) >= self.expected and not self.done.is_set():
                self.last = now
                self.done.set()
        return "250 Message accepted for delivery"


class Browser:
    """Requests with a cookie jar, as a browser behind the TLS proxy sends them (production
    cookies are Secure; X-Forwarded-Proto says the reader's side is HTTPS)."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        headers = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1{path}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content

    def csrf_token(self, path):
        status, page = self.request("GET", path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"{path} answered {status} without a form")
        return token.group(1).decode()


def sign_in_reviewer(device):
    return sign_in_staff(REVIEWER, REVIEWER_PASSWORD, device)


def sign_in_staff(username, password, device):
    """A Browser signed in at /admin/login/ with the password and a TOTP code."""
    from django_otp.oath import totp

    browser = Browser()
    form = {
        "csrfmiddlewaretoken": browser.csrf_token("/admin/login/"),
        "username": username,
        "password": password,
        "otp_token": f"{totp(device.bin_key):06d}",
        "next": "/admin/",
    }
    status, _ = browser.request("POST", "/admin/login/", form)
    if status != 302:
        raise SystemExit(f"{username}'s admin login answered {status}")
    return browser


def start_mail_worker(smtp_port, log, push_host):
    environment = {
        **SERVER_ENV,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PUSH_CONSOLE": "0",
        "PUSH_EXTRA_HOSTS": push_host,
    }
    command = [sys.executable, "manage.py", "worker", "--no-reload", "--schedule-interval", "0"]
    command += ["--no-startup-delay", "--interval", "0.2"]
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and worker.poll() is None:
        if "Starting worker" in Path(log.name).read_text(errors="replace"):
            return worker
        time.sleep(0.1)
    worker.kill()
    raise SystemExit(f"the worker did not start; its output is in {log.name}")


def process_memory_mib(pid, field):
    """VmRSS (now) or VmHWM (the peak) of a process; 0 once it has ended."""
    try:
        found = re.search(rf"{field}:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        found = None
    return int(found.group(1)) / 1024 if found else 0.0


def ensure_push_channels(robots):
    """PUSH_CHANNELS channels, a third of each kind and audience, pointing at `robots` (a
    VendorServer); made again on each run, as the server's keys are new."""
    from apps.push.models import Channel

    Channel.objects.filter(name__startswith=PUSH_CHANNEL_PREFIX).delete()
    kinds = ["wecom", "dingtalk", "feishu"]
    audiences = ["leadership", "enterprise", "all"]
    keys = []
    for index in range(PUSH_CHANNELS):
        kind = kinds[index % 3]
        secret = "" if kind == "wecom" else f"SEC{index:04d}" + "b" * 40
        robot = robots.add(kind, secret=secret)
        Channel.objects.create(
            name=f"{PUSH_CHANNEL_PREFIX}{index:02d}",
            kind=kind,
            audience=audiences[(index // 3) % 3],
            webhook_url=robots.url(kind, robot.key),
            secret=secret,
        )
        keys.append((kind, robot.key))
    return keys


def publish_to_subscribers():
    """Publish an issue in review to MAIL_SUBSCRIBERS subscribers as a reviewer does, and
    wait until the worker has handed every e-mail to the SMTP sink."""
    from aiosmtpd.controller import Controller
    from django.db.models import Count
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from apps.issues.models import Issue
    from apps.notifications.models import Delivery
    from tests.push.vendor_server import VendorServer

    ensure_mail_subscribers()
    device = ensure_reviewer()
    issue, articles = create_mail_issue()
    robots = VendorServer()
    robot_keys = ensure_push_channels(robots)
    DBTaskResult.objects.all().delete()  # the bench's own queue: nothing left from a past run
    sink = MailSink(issue.pk, MAIL_SUBSCRIBERS)
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port, server_hostname="sink")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a dozen lines per message
    controller.start()
    log = tempfile.NamedTemporaryFile("w", prefix="bench-worker-", suffix=".log", delete=False)
    worker, complete = None, False
    try:
        worker = start_mail_worker(smtp_port, log, robots.host)
        browser = sign_in_reviewer(device)
        change = reverse("admin:issues_issue_change", args=[issue.pk])
        for _ in range(4):  # both gunicorn workers have served the admin before
            token = browser.csrf_token(change)
        idle_rss = process_memory_mib(worker.pid, "VmRSS")
        # The confirmation page's button: the step itself, as the reviewer takes it.
        form = {"csrfmiddlewaretoken": token, "comment": "", "confirmed": "1"}
        path = reverse("admin:issues_issue_transition", args=[issue.pk, "publish"])
        started = time.monotonic()
        status, _ = browser.request("POST", path, form)
        answered = time.monotonic()
        issue.refresh_from_db()
        queued = Delivery.objects.filter(issue=issue).count()
        if status != 302 or issue.status != Issue.Status.PUBLISHED or queued != MAIL_SUBSCRIBERS:
            raise SystemExit(f"publish answered {status}: {issue.status}, {queued} e-mails queued")
        # Until every robot has its card (they come first: their own queue and thread).
        push_deadline = answered + PUSH_SECONDS * 3
        while len(robots.messages()) < PUSH_CHANNELS and time.monotonic() < push_deadline:
            time.sleep(0.05)
        cards = robots.messages()
        pushed = (time.monotonic() - answered) if len(cards) >= PUSH_CHANNELS else None
        # Until the sink has them all; a failed task or a dead worker ends the wait early.
        deadline = answered + MAIL_TIMEOUT
        while not (complete := sink.done.wait(1)) and time.monotonic() < deadline:
            if worker.poll() is not None or DBTaskResult.objects.failed().exists():
                break
        waited, received = time.monotonic() - answered, len(sink.ids)
        peak_rss = process_memory_mib(worker.pid, "VmHWM")
    finally:
        if worker is not None:
            # Done: it stops between tasks. Not done: its task would go on sending; stop it.
            worker.send_signal(signal.SIGTERM if complete else signal.SIGKILL)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        controller.stop()
        robots.close()
        log.close()
    from apps.push.models import Channel

    Channel.objects.filter(name__startswith=PUSH_CHANNEL_PREFIX).delete()
    outcome = dict(
        Delivery.objects.filter(issue=issue).values_list("status").annotate(Count("pk")).order_by()
    )
    failed_tasks = [
        f"{path}: {error}"
        for path, error in DBTaskResult.objects.failed().values_list(
            "task_path", "exception_class_path"
        )
    ]
    remove_mail_issue()
    if complete:
        os.unlink(log.name)
    return {
        "articles": articles,
        "request": answered - started,
        "complete": complete,
        "received": received,
        "duplicates": sink.messages - len(sink.ids),
        "connections": sink.connections,
        "first": (sink.first - answered) if sink.first else None,
        "all": (sink.last - answered) if complete else None,
        "waited": waited,
        "idle_rss": idle_rss,
        "peak_rss": peak_rss,
        "outcome": outcome,
        "failed_tasks": failed_tasks,
        "log": log.name,
        "pushed": pushed,
        "cards": len(cards),
        "cards_per_robot": max(
            (len(robots.messages(kind, key)) for kind, key in robot_keys), default=0
        ),
        "refused_cards": len(robots.messages(accepted=False)),
    }


def print_mail(result):
    request = result["request"]
    verdict = "met" if request < REQUEST_TARGET else "NOT MET"
    print(
        f"\npublishing an issue ({result['articles']} articles) to {MAIL_SUBSCRIBERS:,} "
        "subscribers: 1 worker (manage.py worker), SMTP sink on loopback"
    )
    print(
        f"reviewer's publish request: {request:.2f} s (target < {REQUEST_TARGET:.0f} s: {verdict})"
    )
    if result["complete"]:
        print(
            f"all {MAIL_SUBSCRIBERS:,} e-mails handed to the sink {result['all']:.1f} s after the "
            f"response (first after {result['first']:.2f} s): "
            f"{MAIL_SUBSCRIBERS / result['all']:.0f} e-mails/s"
        )
    else:
        print(
            f"FAILED: the sink had {result['received']:,} of {MAIL_SUBSCRIBERS:,} e-mails "
            f"{result['waited']:.0f} s after the response; failed tasks: {result['failed_tasks']}; "
            f"the worker's output is in {result['log']}"
        )
    if result["pushed"] is not None:
        verdict = "met" if result["pushed"] <= PUSH_SECONDS else "NOT MET"
        print(
            f"all {PUSH_CHANNELS} work-group channels had their card "
            f"{result['pushed']:.1f} s after the response "
            f"(target <= {PUSH_SECONDS:.0f} s: {verdict}); at most "
            f"{result['cards_per_robot']} per robot, {result['refused_cards']} refused"
        )
    else:
        print(f"FAILED: {result['cards']} of {PUSH_CHANNELS} work-group cards arrived")
    memory = "met" if result["peak_rss"] <= RSS_TARGET else "NOT MET"
    print(
        f"worker RSS: {result['idle_rss']:.0f} MiB idle, {result['peak_rss']:.0f} MiB peak "
        f"(target <= {RSS_TARGET} MiB: {memory}); "
        f"deliveries: {result['outcome']}; at the sink: {result['duplicates']} duplicates, "
        f"{result['connections']:,} SMTP connections"
    )


# --- The issue's PDF -----------------------------------------------------------------------------


def create_pdf_issue():
    """The demo's sample issue (apps/demo/sample_issue.json), published, as its own issue."""
    import json

    from django.utils.dateparse import parse_datetime

    from apps.articles.models import Article, Industry, Section
    from apps.demo.management.commands.load_demo import SAMPLE_ISSUE
    from apps.issues.models import Issue

    remove_pdf_issue()
    data = json.loads(SAMPLE_ISSUE.read_text(encoding="utf-8"))
    published = parse_datetime(data["issue"]["published_at"])
    issue = Issue.objects.create(
        **PDF_ISSUE,
        title=data["issue"]["title"],
        editor_note=data["issue"]["editor_note"],
        status=Issue.Status.PUBLISHED,
        published_at=published,
        went_live_at=published,  # nobody is mailed it
    )
    sections = {section.slug: section for section in Section.objects.all()}
    industries = {industry.slug: industry for industry in Industry.objects.all()}
    for item in data["articles"]:
        article = Article.objects.create(
            issue=issue,
            title=item["title"],
            section=sections[item["section"]],
            position=item["position"],
            summary=item["summary"],
            body=item["body"],
            status=Article.Status.PUBLISHED,
        )
        article.industries.set([industries[slug] for slug in item["industries"]])
    return issue


def remove_pdf_issue():
    from django.db import transaction

    from apps.articles.models import Article
    from apps.issues.models import Issue
    from apps.search.indexing import refresh

    issues = Issue.objects.filter(**PDF_ISSUE)
    ids = list(Article.objects.filter(issue__in=issues).values_list("pk", flat=True))
    with transaction.atomic():
        Article.objects.filter(pk__in=ids).delete()
        issues.delete()
    refresh(ids)


def download_pdf(path, session):
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        body = response.read()
        if response.status != 200 or not body.startswith(b"%PDF"):
            raise SystemExit(f"{path} answered {response.status} without a PDF")
    return time.monotonic() - started, body


def measure_pdf(sessions, issue):
    """Sequential downloads: what one reader waits for, not a queue of them."""
    from django.db.models import F

    from apps.issues.models import Issue

    path = f"/issues/{issue.year}/{issue.number}/pdf/"
    first, body = download_pdf(path, sessions[0])  # the worker's first: imports, fonts, a render
    for session in sessions[:8]:  # both workers have imported WeasyPrint; both audiences cached
        download_pdf(path, session)
    warm = [download_pdf(path, sessions[n % len(sessions)])[0] for n in range(PDF_DOWNLOADS)]
    cold = []
    for n in range(PDF_COLD):
        # An edit (a no-op update is enough): the content counter moves, the cache is stale.
        Issue.objects.filter(pk=issue.pk).update(title=F("title"))
        cold.append(download_pdf(path, sessions[n])[0])
    from pypdf import PdfReader

    return {
        "first": first,
        "warm": sorted(warm),
        "cold": cold,
        "size": len(body),
        "pages": len(PdfReader(io.BytesIO(body)).pages),
    }


def print_pdf(result):
    warm, cold = result["warm"], result["cold"]
    median = warm[len(warm) // 2]
    p90 = warm[int(len(warm) * 0.9)]
    warm_verdict = "met" if median <= PDF_WARM_TARGET else "NOT MET"
    cold_verdict = "met" if max(cold) <= PDF_COLD_TARGET else "NOT MET"
    print(
        f"\nthe sample issue's PDF ({result['pages']} pages), one download at a time over "
        f"{WORKERS} gunicorn workers, readers of both audiences"
    )
    print(
        f"warm (cached, stamped with the reader's mark): median {median * 1000:.0f} ms, "
        f"p90 {p90 * 1000:.0f} ms over {len(warm)} downloads "
        f"(target <= {PDF_WARM_TARGET * 1000:.0f} ms: {warm_verdict})"
    )
    print(
        f"cold (first download after an edit): {', '.join(f'{c:.2f}' for c in cold)} s "
        f"(target <= {PDF_COLD_TARGET:.0f} s: {cold_verdict}); "
        f"a worker's first PDF (imports WeasyPrint, loads the fonts): {result['first']:.2f} s"
    )
    print(
        f"file size: {result['size'] / 1024:.0f} KiB; "
        f"largest gunicorn worker RSS after the PDFs: {result['rss']:.0f} MiB"
    )
    return warm_verdict == cold_verdict == "met"


def measure_pages(sessions, pages):
    scripts = {}
    queries = fresh_queries()
    for fresh in (False, True):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            keys = ", ".join(f'"{key}"' for key in sessions)
            asked = ", ".join(f'"{query}"' for query in queries) if fresh else ""
            script.write(LUA % (keys, asked))
            scripts[fresh] = script.name
    try:
        for page in pages:  # warm up: imports, the segmenter, each audience's copy in the cache
            # (and a fresh search is a page, not a redirect, which wrk would count as a success)
            paths = [f"/search/?q={queries[-1]}"] if page.fresh else [page.path]
            for key in sessions:
                for path in paths:
                    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                    connection.request("GET", path, headers={"Cookie": f"sessionid={key}"})
                    status = connection.getresponse().status
                    connection.close()
                    if status != 200:
                        raise SystemExit(f"{path} answered {status}")
        return [
            (
                page,
                run_wrk(page.path, scripts[page.fresh], CONNECTIONS),
                run_wrk(page.path, scripts[page.fresh], LIGHT_CONNECTIONS),
            )
            for page in pages
        ]
    finally:
        for name in scripts.values():
            os.unlink(name)


def verdict(page, rps, floor, p99):
    """'met', 'NOT MET', or '' for a page without a target."""
    checks = []
    if page.min_ratio is not None:
        checks.append(rps / floor >= page.min_ratio)
    if page.max_p99 is not None:
        checks.append(p99 <= page.max_p99)
    if not checks:
        return ""
    return "met" if all(checks) else "NOT MET"


def target_text(page):
    parts = []
    if page.min_ratio is not None:
        parts.append(f">= {page.min_ratio:.0%}")
    if page.max_p99 is not None:
        parts.append(f"p99 <= {page.max_p99:.0f} ms")
    return ", ".join(parts)


def print_pages(rows, rss):
    floor = rows[0][1][0]
    print(
        f"\n{ARTICLES:,} articles; gunicorn {WORKERS} sync workers; "
        f"wrk {DURATION} per page and load"
    )
    print(
        f"{'':<32}{f'{CONNECTIONS} connections':>44}{f'{LIGHT_CONNECTIONS} connections':>22}\n"
        f"{'page':<32}{'req/s':>10}{'vs trivial':>12}{'p50 ms':>11}{'p99 ms':>11}"
        f"{'p50 ms':>11}{'p99 ms':>11}{'errors':>8}  target"
    )
    missed = 0
    for page, (rps, p50, p99, errors), (_, light50, light99, light_errors) in rows:
        result = verdict(page, rps, floor, p99)
        missed += result == "NOT MET"
        target = f"{target_text(page)}: {result}" if result else ""
        print(
            f"{page.name:<32}{rps:>10.0f}{rps / floor:>11.1%}{p50:>11.2f}{p99:>11.2f}"
            f"{light50:>11.2f}{light99:>11.2f}{errors + light_errors:>8}  {target}"
        )
    print(f"largest gunicorn worker RSS: {rss:.0f} MiB (target <= {RSS_TARGET} MiB)")
    return missed


def run_large():
    """The reader pages' searches again on the large archive: this script, in a child run
    against its own database, so that each run's Django is set up for one database."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": LARGE_DATABASE_URL,
        "BENCH_ARTICLES": str(LARGE_ARTICLES),
        "BENCH_PARTS": "pages",
        "BENCH_PAGES": "search",
    }
    return subprocess.run([sys.executable, __file__], env=env, check=False).returncode  # noqa: S603


def run_intake():
    """The intake part: benchmarks/intake_bench.py in a child run on its own database."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": INTAKE_DATABASE_URL,
        "BENCH_MAIN_DATABASE_URL": DATABASE_URL,
    }
    script = Path(__file__).with_name("intake_bench.py")
    return subprocess.run([sys.executable, script], env=env, check=False).returncode  # noqa: S603


def run_insight():
    """The insight part: benchmarks/insight_bench.py in a child run on its own database."""
    env = {**os.environ, "BENCH_DATABASE_URL": INSIGHT_DATABASE_URL}
    script = Path(__file__).with_name("insight_bench.py")
    return subprocess.run([sys.executable, script], env=env, check=False).returncode  # noqa: S603


def main():
    failed = False
    if {"pages", "pdf", "mail"} & set(PARTS):
        failed = measure()
    if "large" in PARTS:
        failed |= run_large() != 0
    if "intake" in PARTS:
        failed |= run_intake() != 0
    if "insight" in PARTS:
        failed |= run_insight() != 0
    if failed:
        raise SystemExit(1)


def measure():
    """Run the parts on this archive, print their figures; return whether a target was missed."""
    ensure_database()
    setup_django()
    ensure_archive()
    remove_mail_issue()  # left by a run that was interrupted
    from django.core.cache import cache

    cache.clear()  # the bench's own Redis database: every run starts from an empty cache
    if "pages" in PARTS or "pdf" in PARTS:
        sessions = subscriber_sessions()
    if "pdf" in PARTS:
        pdf_issue = create_pdf_issue()
    if "pages" in PARTS:
        pages = targets()
    server = start_server()
    try:
        if "pages" in PARTS:
            rows = measure_pages(sessions, pages)
            rss = worker_rss_mib(server)
        if "pdf" in PARTS:  # after the pages, whose workers' memory is measured without it
            pdf = measure_pdf(sessions, pdf_issue)
            pdf["rss"] = worker_rss_mib(server)
        if "mail" in PARTS:
            mail = publish_to_subscribers()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        if "pdf" in PARTS:
            remove_pdf_issue()

    failed = False
    if "pages" in PARTS:
        failed |= bool(print_pages(rows, rss)) or rss > RSS_TARGET
    if "pdf" in PARTS:
        failed |= not print_pdf(pdf)
    if "mail" in PARTS:
        print_mail(mail)
        failed |= not mail["complete"] or mail["request"] >= REQUEST_TARGET
        failed |= mail["pushed"] is None or mail["pushed"] > PUSH_SECONDS
        failed |= mail["refused_cards"] > 0
        failed |= mail["peak_rss"] > RSS_TARGET
    return failed


if __name__ == "__main__":
    main()
