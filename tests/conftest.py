import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.subscribers.models import Subscriber
from tests.factories import StaffFactory, SubscriberFactory, UserFactory


@pytest.fixture
def leader():
    return SubscriberFactory(kind=Subscriber.Kind.LEADERSHIP, user__username="leader1").user


@pytest.fixture
def enterprise():
    return SubscriberFactory(kind=Subscriber.Kind.ENTERPRISE, user__username="firm1").user


@pytest.fixture
def staff():
    return StaffFactory(username="staff1")


@pytest.fixture
def plain_user():
    """A signed-in account with no subscription."""
    return UserFactory(username="nobody")


@pytest.fixture
def client_for(client):
    """Return a test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Production hashing is slow on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def mail_through_the_worker(settings):
    # Django's test setup swaps EMAIL_BACKEND for its in-memory outbox. Put the queue back, so
    # that every test sends as production does; without `smtp_server`, the worker hands the
    # messages to that in-memory outbox.
    settings.EMAIL_BACKEND = "apps.notifications.outbox.QueuedEmailBackend"
    settings.EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"


class Received(list):
    """The messages an SMTP server accepted. `refuse[address] = n` makes it answer the next
    n deliveries to `address` with a passing failure (451); `refuse[address] = -1` with a
    permanent one (550)."""

    def __init__(self):
        super().__init__()
        self.refuse = {}
        self.delay = 0.0  # seconds the server takes over each message, to keep mail in flight

    def to(self, address):
        return [message for message in self if address in message["To"]]


class _Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = Received()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        left = self.messages.refuse.get(address, 0)
        if left < 0:
            return "550 5.1.1 Mailbox unavailable"
        if left > 0:
            self.messages.refuse[address] = left - 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes, policy

        await asyncio.sleep(self.messages.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; the worker sends mail to it. Yields the received messages.

    Mail goes out through the worker (`worker` below) after the transaction commits: tests
    that read this mailbox run with `django_db(transaction=True, ...)`."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox.messages
    finally:
        controller.stop()


@pytest.fixture
def worker():
    """Run the real worker (django-tasks-db's, as `manage.py worker` runs it) in this process
    until nothing is due. A task that failed is reported as the test's failure unless the
    test expects failures (`worker(failures_expected=True)`)."""
    from django_tasks_db.models import DBTaskResult

    from apps.notifications.management.commands.worker import DurableWorker

    def run(*, failures_expected=False):
        started = timezone.now()
        DurableWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()
        failed = DBTaskResult.objects.failed().filter(finished_at__gte=started)
        if not failures_expected:
            assert not failed.exists(), "\n".join(task.traceback for task in failed)
        return list(failed)

    return run


# --- staff roles, as the migration creates them ---


def member_of(group_name, username):
    user = StaffFactory(username=username)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor():
    return member_of("编辑", "editor1")


@pytest.fixture
def other_editor():
    return member_of("编辑", "editor2")


@pytest.fixture
def reviewer():
    return member_of("审核", "reviewer1")


@pytest.fixture
def subadmin():
    return member_of("订户管理", "subadmin1")


@pytest.fixture
def subadmin_client(client, subadmin):
    """A test client signed in as a subscriber administrator."""
    client.force_login(subadmin)
    return client


LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
# The production cache: Redis, through our backend. Database 15 is the tests' own.
REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_CACHE = {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}
CACHE_URLS = {"locmem": "locmemcache://tests", "redis": REDIS_URL}


def clear_caches():
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Each test starts with empty caches of its own (cached pages, sessions, users)."""
    settings.CACHES = {**settings.CACHES, "default": LOCAL_CACHE}
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(params=["locmem", "redis"])
def cache_kind(request, settings):
    """Run the test with a per-process cache, then with the production cache (Redis)."""
    default = REDIS_CACHE if request.param == "redis" else LOCAL_CACHE
    settings.CACHES = {**settings.CACHES, "default": default}
    clear_caches()
    yield request.param
    clear_caches()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Keep SQLite's test database in a file, so that another process can open it too."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


ROOT = Path(__file__).resolve().parents[1]


def shared_database_url():
    """The URL of the database this test runs on, for another process to open it."""
    from django.db import connection

    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{auth}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture
def other_process(cache_kind):
    """Run Python code in a separate `manage.py shell` on the test database and this test's
    cache setting (as an administrator's shell, an import or another worker would)."""
    url = shared_database_url()

    def run(code):
        environment = {
            **os.environ,
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": url,
            "CACHE_URL": CACHE_URLS[cache_kind],
        }
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run


# Loopback only, nothing kept on disk; the port comes last.
REDIS_OPTIONS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--port"]


@pytest.fixture
def redis_of_our_own(settings, tmp_path):
    """A Redis server of this test's own on loopback, which the test can freeze and thaw."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - the machine's redis-server on loopback
        [shutil.which("redis-server") or "/usr/bin/redis-server", *REDIS_OPTIONS, str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        },
    }
    yield server
    os.kill(server.pid, signal.SIGCONT)
    server.terminate()
    server.wait(timeout=5)


@pytest.fixture
def json_lines():
    """Capture what the project's console handler would write, as parsed JSON."""
    import json
    import logging

    from config.logs import JsonFormatter, RequestIdFilter

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def urlconf_with(settings, debug):
    """config.urls as a server started with DEBUG=`debug` has it (the demo's sites are routed
    only in development, chosen when the module is imported)."""
    import importlib

    from django.urls import clear_url_caches

    import config.urls

    settings.DEBUG = debug
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def development(settings):
    urlconf_with(settings, True)
    yield
    urlconf_with(settings, False)


@pytest.fixture
def production(settings):
    urlconf_with(settings, False)
    yield
