"""The demo's promise: the reviewer publishes the waiting issue, each demo reader gets a mail."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from apps.issues.models import Issue
from apps.workflow import signing
from tests.notifications.helpers import MAIL_TEST, addresses

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def test_publishing_the_demo_issue_mails_the_leader_and_the_enterprise(
    client, settings, smtp_server, worker
):
    settings.DEBUG = True  # load_demo's condition
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False
    worker()
    assert smtp_server == [], "the sample issue is history: nobody is mailed it"

    issue = Issue.objects.get(status=Issue.Status.REVIEW)
    client.force_login(get_user_model().objects.get(username="reviewer"))
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "publish"])
    # It carries leadership-only articles: the demo's 签发人 signs it first.
    assert "须经签发人签发" in client.post(url).content.decode()
    client.force_login(get_user_model().objects.get(username="signer"))
    sign = reverse("admin:issues_issue_transition", args=[issue.pk, "sign"])
    shown = {"fingerprint": signing.issue_state(issue).fingerprint, "confirmed": "1"}
    assert client.post(sign, shown).status_code == 302
    client.force_login(get_user_model().objects.get(username="reviewer"))
    assert "位订户将收到新一期邮件通知" in client.post(url).content.decode()  # the question
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    worker()

    readers = [m for m in smtp_server if m["Subject"].strip().startswith("《")]
    assert addresses(readers) == ["enterprise@example.com", "leader@example.com"]
    issue.refresh_from_db()
    assert issue.signed_by.username == "signer"  # the masthead's 签发：周所长
    [to_leader] = smtp_server.to("leader@example.com")
    [to_firm] = smtp_server.to("enterprise@example.com")
    leader_text = to_leader.get_body(("plain",)).get_content()
    firm_text = to_firm.get_body(("plain",)).get_content()
    assert "内部参阅：全市重点科技项目推进情况" in leader_text
    assert "内部参阅" not in firm_text
    followed = firm_text[firm_text.index("【您关注的行业】") : firm_text.index("【编者的话】")]
    followed = followed.splitlines()
    assert [line for line in followed if line.startswith("◆")] == ["◆ 新材料", "◆ 智能装备"]
    # The editor who made the issue hears that it was published.
    signed, published = smtp_server.to("editor@example.com")
    assert "签发" in signed["Subject"] and "发布" in published["Subject"]
