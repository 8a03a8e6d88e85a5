"""`manage.py worker` fetches the due sources on its own schedule, on a queue of its own: a
slow news site never holds up an issue's mail."""

import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.intake.models import Clipping, Source
from apps.workflow import steps
from tests.conftest import shared_database_url
from tests.intake.pagegen import article_page, article_text
from tests.intake.sites import Site
from tests.notifications.helpers import MAIL_TEST, leader_and_firm, ready_issue, start_worker

pytestmark = pytest.mark.django_db(**MAIL_TEST)

HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_the_worker_fetches_due_sources_and_mail_does_not_wait_for_a_slow_site(
    reviewer, smtp_server
):
    site, other_host = Site(), Site("127.0.0.2")
    other_host.routes["/fast/2024/03/05/1.html"] = (
        200,
        HTML,
        article_page("工作进程抓取的文章", article_text(90)).encode(),
    )
    # A site that takes 12 s to answer holds intake's round that long, and nothing else.
    slow = {}

    def answer_slowly(handler):
        slow["asked"] = time.monotonic()
        time.sleep(12)
        slow["answered"] = time.monotonic()
        return 200, HTML, article_page("很慢的网站", article_text(91)).encode()

    site.routes["/slow/2024/03/05/1.html"] = answer_slowly
    Source.objects.create(name="慢网站", url=site.url("/slow/2024/03/05/1.html"), kind="link")
    Source.objects.create(
        name="快网站",
        url=other_host.url("/fast/2024/03/05/1.html"),
        kind="link",
    )
    leader_and_firm()
    issue = ready_issue()

    worker = start_worker(
        database_url=shared_database_url(),
        smtp_port=settings.EMAIL_PORT,
        env={"INTAKE_ALLOWED_NETWORKS": "127.0.0.0/8", "INTAKE_TOTAL_TIMEOUT": "30"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while "asked" not in slow and time.monotonic() < deadline:
            time.sleep(0.1)
        # The issue falls due while intake's round waits for the slow site.
        steps.perform(issue, "schedule", by=reviewer, at=timezone.now() + timedelta(seconds=1))
        mailed_at = None
        while time.monotonic() < deadline and not (
            mailed_at and Clipping.objects.filter(title="很慢的网站").exists()
        ):
            if mailed_at is None and len(smtp_server) >= 2:
                mailed_at = time.monotonic()
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
        site.close()
        other_host.close()
    assert len(smtp_server) == 2, errors
    assert Clipping.objects.filter(title="工作进程抓取的文章").exists(), errors
    assert Clipping.objects.filter(title="很慢的网站").exists(), errors
    # The mail went out while the slow site was still answering intake's request.
    assert mailed_at < slow["answered"], (slow, mailed_at)
    assert Source.objects.filter(consecutive_failures=0, last_success_at__isnull=False).count() == 2
