"""Two worker processes sending one issue at once, and a worker that died mid-batch."""

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.notifications import deliveries
from apps.notifications.models import Delivery
from apps.notifications.schedule import run_periodic_jobs
from tests.conftest import ROOT, shared_database_url
from tests.notifications.helpers import MAIL_TEST, publish, ready_issue, subscriber

pytestmark = pytest.mark.django_db(**MAIL_TEST)

READERS = 150


def start_worker(smtp_port):
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": shared_database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--schedule-interval",
            "0",
            "--interval",
            "0",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_workers_racing_send_each_mail_once(reviewer, smtp_server):
    readers = [subscriber(f"reader{n}") for n in range(READERS)]
    issue = ready_issue()
    publish(issue, reviewer)
    # Several copies of the task, so that both workers have one to run at the same time.
    for _ in range(3):
        deliveries.send_issue_mail.enqueue(issue.pk)

    workers = [start_worker(settings.EMAIL_PORT) for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    received = Counter(message["To"].addresses[0].addr_spec for message in smtp_server)
    assert set(received) == {reader.user.email for reader in readers}
    assert set(received.values()) == {1}
    assert Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count() == READERS
    # Both took part: each claimed some of the batches.
    assert all("send_issue_mail state=SUCCESSFUL" in output for output in outputs), outputs


def test_rows_left_by_a_worker_that_died_are_sent_by_the_next_run(reviewer, smtp_server, worker):
    readers = [subscriber(f"reader{n}") for n in range(3)]
    issue = ready_issue()
    publish(issue, reviewer)
    # A worker claimed them and died before sending: they stay "sending".
    claimed_long_ago = timezone.now() - deliveries.STALE_AFTER - timedelta(minutes=1)
    Delivery.objects.filter(issue=issue).update(
        status=Delivery.Status.SENDING, claimed_by="dead", claimed_at=claimed_long_ago
    )
    worker()
    assert smtp_server == []
    run_periodic_jobs()
    worker()
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server) == sorted(
        r.user.email for r in readers
    )


def test_a_batch_goes_over_one_smtp_connection(reviewer, smtp_server, worker, monkeypatch):
    import smtplib

    opened = []
    real_connect = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        opened.append(args)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    readers = [subscriber(f"reader{n}") for n in range(10)]
    publish(ready_issue(), reviewer)
    worker()
    assert len(smtp_server) == len(readers)
    assert len(opened) == 1
