"""The worker outlives its database, and a dead worker's mail is taken back at once.

The worker runs as in production (`manage.py worker`, JSON logs) against PostgreSQL through a
proxy that the test cuts: once briefly, as in a restart, then for 20 seconds, as in a stop,
each time with the issue's mail in flight. Every reader gets the issue's mail exactly once,
the worker never exits, and its heartbeat comes back.
"""

import json
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.notifications import heartbeat
from apps.notifications.models import Delivery, WorkerHeartbeat
from apps.notifications.schedule import run_periodic_jobs
from tests.conftest import shared_database_url
from tests.notifications.helpers import (
    MAIL_TEST,
    addresses,
    publish,
    ready_issue,
    start_worker,
    subscriber,
)
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.django_db(**MAIL_TEST)

READERS = 40


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL restart needs PostgreSQL"
)
def test_the_worker_waits_out_a_restart_and_a_stop_and_sends_each_mail_once(reviewer, smtp_server):
    readers = [subscriber(f"reader{n}") for n in range(READERS)]
    issue = ready_issue()
    smtp_server.delay = 0.15  # ~6 s of sending: the database goes away while mail is in flight
    proxy = TcpProxy(upstream_port=int(connection.settings_dict["PORT"] or 5432))
    proxy.open()
    url = shared_database_url().replace(
        f":{connection.settings_dict['PORT'] or 5432}/", f":{proxy.port}/"
    )
    worker = start_worker(
        database_url=url,
        smtp_port=settings.EMAIL_PORT,
        env={"LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: WorkerHeartbeat.objects.exists(), 30, "the first heartbeat")
        publish(issue, reviewer)

        # A restart: every connection drops, and the server is back a moment later.
        wait_for(lambda: len(smtp_server) >= 5, 30, "mail in flight")
        proxy.cut()
        time.sleep(1)
        proxy.open()

        # A stop of 20 seconds, again in the middle of the mail.
        wait_for(lambda: len(smtp_server) >= 15, 60, "more mail in flight")
        proxy.cut()
        stopped_at = timezone.now()
        time.sleep(20)
        assert worker.poll() is None, "the worker exited while the database was away"
        proxy.open()

        wait_for(lambda: len(smtp_server) >= READERS, 90, "every reader's mail")
        wait_for(
            lambda: WorkerHeartbeat.objects.filter(beat_at__gt=stopped_at).exists(),
            30,
            "the heartbeat after the stop",
        )
        time.sleep(2)  # a duplicate, if any, would arrive now
        assert worker.poll() is None
        call_command("worker_health")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        proxy.cut()
        print(output)  # shown when the test fails

    received = Counter(addresses(smtp_server))
    assert sorted(received) == sorted(reader.user.email for reader in readers), output
    assert set(received.values()) == {1}, received.most_common(3)
    assert set(Delivery.objects.filter(issue=issue).values_list("status", flat=True)) == {
        Delivery.Status.SENT
    }
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON: no bare traceback
    outage = [r for r in records if r.get("event") == "database_unavailable"]
    assert outage, "each attempt to reach the database is logged"
    assert all("attempt" in r and "retry_in_s" in r for r in outage)


def test_a_dead_workers_mail_is_taken_back_at_once_and_a_live_ones_is_not(
    reviewer, smtp_server, worker
):
    readers = [subscriber(f"reader{n}") for n in range(4)]
    issue = ready_issue()
    publish(issue, reviewer)
    rows = list(Delivery.objects.filter(issue=issue).order_by("pk"))
    now = timezone.now()
    # Two workers claimed two rows each a minute ago; one was killed 50 s ago, one beats.
    WorkerHeartbeat.objects.create(
        worker_id="killed",
        host="h",
        pid=1,
        beat_at=now - heartbeat.DEAD_AFTER - timedelta(seconds=5),
    )
    WorkerHeartbeat.objects.create(worker_id="alive", host="h", pid=2, beat_at=now)
    for row, owner in zip(rows, ["killed", "killed", "alive", "alive"], strict=True):
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.SENDING,
            claimed_by=f"batch-{owner}",
            claimed_worker=owner,
            claimed_at=now - timedelta(minutes=1),
            attempts=1,
        )

    run_periodic_jobs()  # the next worker's minute job
    worker()

    assert addresses(smtp_server) == sorted([readers[0].user.email, readers[1].user.email])
    still_sending = Delivery.objects.filter(status=Delivery.Status.SENDING)
    assert set(still_sending.values_list("claimed_worker", flat=True)) == {"alive"}
