import socket
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_answers_on_any_host_without_login(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    # No worker in this test: mail and go-live wait, the site still serves.
    assert response.json() == {"database": "ok", "cache": "ok", "worker": "late"}


def test_healthz_and_worker_health_follow_the_workers_heartbeat(client):
    this_host = socket.gethostname()
    beat = WorkerHeartbeat.objects.create(worker_id="w1", host=this_host, pid=1)
    assert client.get("/healthz").json()["worker"] == "ok"
    call_command("worker_health")

    beat.beat_at = timezone.now() - timedelta(minutes=2, seconds=5)
    beat.save()
    response = client.get("/healthz")
    assert response.status_code == 200  # the site serves; only mail and go-live wait
    assert response.json()["worker"] == "late"
    with pytest.raises(CommandError, match="两分钟内没有心跳"):
        call_command("worker_health")

    # A container's check asks about its own worker: another host's beat does not count.
    WorkerHeartbeat.objects.create(worker_id="w2", host="other-container", pid=2)
    assert client.get("/healthz").json()["worker"] == "ok"
    with pytest.raises(CommandError):
        call_command("worker_health")
    call_command("worker_health", "--any-host")


def test_other_pages_still_validate_the_host(client):
    assert client.get(reverse("login"), HTTP_HOST="evil.example").status_code == 400


def test_uploaded_files_are_for_signed_in_users_only(
    client, client_for, enterprise, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "editor").mkdir()
    (tmp_path / "editor" / "chart.png").write_bytes(b"\x89PNG fake")

    anonymous = client.get("/media/editor/chart.png")
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))

    # Changed with the media access fix: a file no item uses is no longer sent to every
    # current subscriber (it was, with max-age=86400), only to staff, and never cached as is.
    # The whole matrix is in tests/security/test_media.py.
    assert client_for(enterprise).get("/media/editor/chart.png").status_code == 404
    response = client_for(staff).get("/media/editor/chart.png")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert client_for(staff).get("/media/../config/settings.py").status_code == 404


def test_uploaded_files_need_a_valid_subscription(client_for, plain_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "chart.png").write_bytes(b"\x89PNG fake")
    assert client_for(plain_user).get("/media/chart.png").status_code == 404
