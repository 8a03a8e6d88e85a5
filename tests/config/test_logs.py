"""Logs: one JSON line per request with its id; nothing secret in them."""

import json
import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_request_is_one_line_with_its_id(client_for, enterprise, json_lines):
    response = client_for(enterprise).get(reverse("reader:home"), HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    [line] = [entry for entry in json_lines if entry["logger"] == "bulletin.requests"]
    assert line["request_id"] == "abc-123"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["user_id"] == enterprise.pk
    assert line["duration_ms"] >= 0


def test_an_unusable_request_id_is_replaced(client, json_lines):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="bad id\n{injected}")
    assert response["X-Request-ID"] != "bad id\n{injected}"
    assert len(response["X-Request-ID"]) == 32


def test_secrets_stay_out_of_the_logs(client, enterprise, json_lines):
    client.post(reverse("login"), {"username": enterprise.username, "password": "Sekret-123"})
    client.get("/accounts/reset/MQ/c2v-a1b2c3d4e5f6/?next=/x&token=abc")
    client.get("/search/?q=保密的搜索词")
    written = json.dumps(json_lines, ensure_ascii=False)
    for secret in ["Sekret-123", "c2v-a1b2c3d4e5f6", "保密的搜索词", "token=abc", "sessionid"]:
        assert secret not in written
    assert any(entry.get("path") == "/accounts/reset/…/…/" for entry in json_lines)


def test_an_error_is_logged_with_its_request_and_traceback(json_lines):
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        logger.exception("Internal Server Error: /issues/2024/5/")
    [line] = json_lines
    assert line["level"] == "ERROR"
    assert "RuntimeError: disk full" in line["exception"]
    assert line["message"] == "Internal Server Error: /issues/2024/5/"
