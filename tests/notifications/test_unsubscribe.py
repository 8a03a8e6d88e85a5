"""The one-click unsubscribe link of the issue's e-mail."""

import json
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from apps.notifications import unsubscribe
from apps.subscribers.models import Subscriber
from tests.notifications.helpers import MAIL_TEST, leader_and_firm, publish, ready_issue

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def link_in(message):
    plain = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:8000(/mail/unsubscribe/\S+/)", plain).group(1)


def test_the_link_works_once_without_login_and_the_profile_shows_it(
    client, reviewer, smtp_server, worker
):
    _, firm = leader_and_firm()
    publish(ready_issue(), reviewer)
    worker()
    [message] = smtp_server.to(firm.user.email)
    path = link_in(message)
    # The header points to the same link and declares one-click (RFC 8058).
    assert message["List-Unsubscribe"].strip() == f"<http://127.0.0.1:8000{path}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Opening the link (as a mail scanner would) changes nothing; it asks to confirm.
    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.content.decode()
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is True

    done = client.post(path)
    assert done.status_code == 200 and "已为 firm1@example.com 退订" in done.content.decode()
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is False

    client.force_login(firm.user)
    profile = client.get(reverse("reader:profile")).content.decode()
    checkbox = re.search(r'<input[^>]*name="notify_by_email"[^>]*>', profile).group(0)
    assert "checked" not in checkbox

    # A second use: refused, with a way to change the setting.
    again = Client().post(path)
    assert again.status_code == 400 and "已经使用过" in again.content.decode()


def test_the_mail_clients_one_click_post_needs_no_csrf_token(reviewer, smtp_server, worker):
    _, firm = leader_and_firm()
    publish(ready_issue(), reviewer)
    worker()
    path = link_in(smtp_server.to(firm.user.email)[0])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is False


def test_a_forged_or_edited_token_or_another_address_changes_nothing(client):
    leader, firm = leader_and_firm()
    token = unsubscribe.make_token(firm, used=0)
    # Someone else's id in a token signed for the firm; a made-up token; a cut one.
    payload = token.split(":")[0]
    data = json.loads(signing.b64_decode(payload.encode()))
    someone_else = signing.b64_encode(json.dumps({**data, "s": leader.pk}).encode()).decode()
    forged = [
        someone_else + token[len(payload) :],
        "eyJzIjoxLCJkIjoiYWJjIn0:1v0000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        payload,
        token[:-3],
    ]
    for bad in forged:
        response = client.post(reverse("notifications:unsubscribe", args=[bad]))
        assert response.status_code == 400, bad
    assert set(Subscriber.objects.values_list("notify_by_email", flat=True)) == {True}

    # The address changed since the mail: the old link no longer works.
    firm.user.email = "new-address@example.com"
    firm.user.save()
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is True


def test_the_link_expires(client, settings):
    import time_machine
    from django.utils import timezone

    _, firm = leader_and_firm()
    token = unsubscribe.make_token(firm, used=0)
    later = timezone.now() + timezone.timedelta(days=unsubscribe.MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is True


def test_a_used_link_stays_dead_after_the_reader_subscribes_again(client):
    _, firm = leader_and_firm()
    token = unsubscribe.make_token(firm, used=0)
    url = reverse("notifications:unsubscribe", args=[token])
    assert client.post(url).status_code == 200
    client.force_login(firm.user)
    client.post(reverse("reader:profile"), {"notify_by_email": "on"})
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is True
    client.logout()
    assert client.post(url).status_code == 400
    assert Subscriber.objects.get(pk=firm.pk).notify_by_email is True
