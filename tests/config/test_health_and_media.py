import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_answers_on_any_host_without_login(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


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
