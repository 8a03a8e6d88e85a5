"""`manage.py worker` as it runs in production: its own schedule puts a scheduled issue's mail
out at the time, and its health check sees it working."""

import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.workflow import steps
from tests.conftest import shared_database_url
from tests.notifications.helpers import (
    MAIL_TEST,
    addresses,
    leader_and_firm,
    ready_issue,
    start_worker,
)

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def test_the_workers_schedule_sends_a_scheduled_issue_at_its_time(reviewer, smtp_server):
    leader, firm = leader_and_firm()
    issue = ready_issue()
    at = timezone.now() + timedelta(seconds=4)
    steps.perform(issue, "schedule", by=reviewer, at=at)
    with pytest.raises(CommandError, match="两分钟内没有心跳"):
        call_command("worker_health")

    worker = start_worker(
        database_url=shared_database_url(),
        smtp_port=settings.EMAIL_PORT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(smtp_server) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        sent_at = timezone.now()
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    assert addresses(smtp_server) == sorted([leader.user.email, firm.user.email]), errors
    assert sent_at >= at, "not before its time"
    assert sent_at - at < timedelta(seconds=30)
    call_command("worker_health")
