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
    client, client_for, enterprise, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "editor").mkdir()
    (tmp_path / "editor" / "chart.png").write_bytes(b"\x89PNG fake")

    anonymous = client.get("/media/editor/chart.png")
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))

    response = client_for(enterprise).get("/media/editor/chart.png")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=86400"
    assert client_for(enterprise).get("/media/../config/settings.py").status_code == 404


def test_uploaded_files_need_a_valid_subscription(client_for, plain_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "chart.png").write_bytes(b"\x89PNG fake")
    assert client_for(plain_user).get("/media/chart.png").status_code == 404
