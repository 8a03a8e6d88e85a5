"""The issue's e-mail through the real worker and a real SMTP server on loopback."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.notifications import deliveries
from apps.notifications.models import Delivery
from apps.notifications.schedule import run_periodic_jobs
from apps.subscribers.models import Subscriber
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, StaffFactory
from tests.notifications.helpers import (
    MAIL_TEST,
    addresses,
    leader_and_firm,
    publish,
    ready_issue,
    subscriber,
    text_of,
)

pytestmark = pytest.mark.django_db(**MAIL_TEST)


def test_each_eligible_subscriber_gets_one_mail_with_what_they_may_read(
    reviewer, smtp_server, worker
):
    leader, firm = leader_and_firm()
    today = timezone.localdate()
    day = timedelta(days=1)
    subscriber("expired", valid_from=today - 60 * day, valid_until=today - day)
    subscriber("future", valid_from=today + day, valid_until=today + 90 * day)
    subscriber("suspended", user__is_active=False)
    subscriber("optedout", notify_by_email=False)
    subscriber("noaddress", user__email="")
    staff_reader = subscriber("staffreader", user__is_staff=True)
    issue = ready_issue(title="")

    publish(issue, reviewer)
    # The reviewer's request hands the work over; it sends nothing itself.
    assert smtp_server == []
    worker()

    assert addresses(smtp_server) == sorted([leader.user.email, firm.user.email]), (
        "expired, not yet started, suspended, opted-out, address-less and staff accounts get none"
    )
    assert staff_reader.user.email not in " ".join(m["To"] for m in smtp_server)
    [to_leader] = smtp_server.to(leader.user.email)
    [to_firm] = smtp_server.to(firm.user.email)
    issue.refresh_from_db()
    assert to_firm["Subject"].strip() == (
        f"《许昌竞争情报快递》{issue.year}年第{issue.number}期（总第{issue.total_number}期）"
    )

    leader_text, firm_text = text_of(to_leader), text_of(to_firm)
    assert "内部参阅：重点项目推进情况" in leader_text
    assert "内部参阅" not in firm_text and "领导摘要" not in firm_text
    # Both parts: a plain-text body and its HTML alternative, no image from anywhere.
    assert [p.get_content_type() for p in to_firm.walk()][1:] == ["text/plain", "text/html"]
    assert "<img" not in firm_text
    # Title, source, summary and link for each article; never the body.
    assert "科技日报" in firm_text and "新材料摘要" in firm_text and "正文" not in firm_text
    article_links = re.findall(r"http://127\.0\.0\.1:8000/articles/\d+/", firm_text)
    assert len(set(article_links)) == 2
    assert "本期聚焦新材料产业" in firm_text  # the editor's note's opening

    # The firm's mail opens with its industries, in the order of the industry map.
    plain = to_firm.get_body(("plain",)).get_content()
    followed = plain[plain.index("【您关注的行业】") : plain.index("【编者的话】")]
    assert followed.index("◆ 新材料") < followed.index("新材料产业发展动态")
    assert followed.index("◆ 智能装备") < followed.index("智能装备项目进展")
    assert plain.index("【您关注的行业】") < plain.index("【本期目录】")
    # The leader follows nothing: a hint where the industries would be.
    assert "您还没有选择关注的行业" in to_leader.get_body(("plain",)).get_content()

    assert deliveries.counts(issue) == {"待发送": 0, "已发送": 2, "发送失败": 0, "未发送": 0}


def test_double_publish_retried_task_and_new_run_send_once(reviewer, smtp_server, worker):
    leader, firm = leader_and_firm()
    issue = ready_issue()
    publish(issue, reviewer)
    with pytest.raises(steps.AlreadyDone):
        publish(issue, reviewer)
    # The same task again, as a retry would run it, before and after the worker's run.
    deliveries.send_issue_mail.enqueue(issue.pk)
    worker()
    deliveries.send_issue_mail.enqueue(issue.pk)
    deliveries.queue_issue_mail(issue)
    run_periodic_jobs()
    call_command("publish_due")
    worker()
    assert addresses(smtp_server) == sorted([leader.user.email, firm.user.email])
    assert Delivery.objects.filter(issue=issue).count() == 2


def test_a_failing_recipient_is_retried_with_backoff_and_does_not_stop_the_others(
    reviewer, smtp_server, worker
):
    leader, firm = leader_and_firm()
    smtp_server.refuse[firm.user.email] = 2
    issue = ready_issue()
    start = timezone.now()
    publish(issue, reviewer)
    worker()
    assert addresses(smtp_server) == [leader.user.email]
    row = Delivery.objects.get(subscriber=firm)
    assert (row.status, row.attempts) == (Delivery.Status.QUEUED, 1)
    assert "451" in row.last_error

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        worker()  # not yet due
        assert len(smtp_server) == 1
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        worker()
        assert Delivery.objects.get(subscriber=firm).attempts == 2
    with time_machine.travel(start + timedelta(minutes=52), tick=False):
        worker()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Delivery.Status.SENT, 3, "")
    assert len(smtp_server.to(firm.user.email)) == 1
    assert len(smtp_server.to(leader.user.email)) == 1


def test_after_three_failures_the_admin_shows_them_and_a_reviewer_retries(
    client, reviewer, editor, smtp_server, worker
):
    _, firm = leader_and_firm()
    smtp_server.refuse[firm.user.email] = 3
    issue = ready_issue()
    start = timezone.now()
    publish(issue, reviewer)
    worker()
    for minutes in (11, 52):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            worker()
    row = Delivery.objects.get(subscriber=firm)
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 3)

    page_url = reverse("admin:issues_issue_change", args=[issue.pk])
    client.force_login(reviewer)
    page = client.get(page_url).content.decode()
    assert "已发送 <strong>1</strong>" in page and "发送失败 <strong>1</strong>" in page
    assert str(firm) in page and "451" in page
    assert "重新发送失败的邮件" in page
    # Addresses are subscribers' contact details: only for those who may see subscribers.
    assert firm.user.email not in page
    assert firm.user.email in client_for_superuser(client).get(page_url).content.decode()

    retry_url = reverse("admin:issues_issue_mail_retry", args=[issue.pk])
    client.force_login(editor)
    editor_page = client.get(page_url).content.decode()
    assert "发送失败 <strong>1</strong>" in editor_page
    assert "重新发送失败的邮件" not in editor_page and str(firm) not in editor_page
    assert client.post(retry_url).status_code == 403
    assert Delivery.objects.get(subscriber=firm).status == Delivery.Status.FAILED

    client.force_login(reviewer)
    response = client.post(retry_url, follow=True)
    assert "已重新发送 1 封失败的邮件" in response.content.decode()
    worker()
    assert len(smtp_server.to(firm.user.email)) == 1
    assert Delivery.objects.get(subscriber=firm).status == Delivery.Status.SENT


def client_for_superuser(client):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    return client


def test_a_permanent_refusal_fails_at_once(reviewer, smtp_server, worker):
    _, firm = leader_and_firm()
    smtp_server.refuse[firm.user.email] = -1
    publish(ready_issue(), reviewer)
    worker()
    row = Delivery.objects.get(subscriber=firm)
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 1)
    assert "550" in row.last_error


def test_withdrawing_stops_what_has_not_gone_out(reviewer, smtp_server, worker):
    leader_and_firm()
    issue = ready_issue()
    publish(issue, reviewer)
    steps.perform(issue, "withdraw", by=reviewer, comment="数据有误")
    worker()
    assert smtp_server == []
    assert deliveries.counts(issue)["未发送"] == 2

    # Published again: what the withdrawal stopped goes out, once.
    steps.perform(issue, "reopen", by=reviewer)
    steps.perform(issue, "submit", by=reviewer)
    publish(issue, reviewer)
    worker()
    assert len(smtp_server) == 2


def test_a_subscriber_suspended_after_publication_gets_nothing(reviewer, smtp_server, worker):
    leader, firm = leader_and_firm()
    issue = ready_issue()
    publish(issue, reviewer)
    Subscriber.objects.filter(pk=firm.pk).update(notify_by_email=False)
    leader.user.is_active = False
    leader.user.save()
    worker()
    assert smtp_server == []
    assert deliveries.counts(issue)["未发送"] == 2


def test_a_scheduled_issue_mails_when_its_time_comes(reviewer, smtp_server, worker):
    leader_and_firm()
    issue = ready_issue()
    at = timezone.now() + timedelta(hours=1)
    steps.perform(issue, "schedule", by=reviewer, at=at)
    with time_machine.travel(at - timedelta(minutes=1), tick=False):
        run_periodic_jobs()
        worker()
        assert smtp_server == []
    with time_machine.travel(at + timedelta(seconds=30), tick=False):
        # What the worker's schedule runs every minute.
        from apps.notifications.schedule import periodic_jobs

        periodic_jobs.enqueue()
        worker()
    assert len(smtp_server) == 2


def test_line_breaks_in_a_title_or_a_name_cannot_add_headers(reviewer, smtp_server, worker):
    firm = subscriber("firm1", user__first_name="张\r\nBcc: spy@example.com")
    issue = ready_issue(title="专题\r\nBcc: spy@example.com\nX-Evil: 1")
    publish(issue, reviewer)
    worker()
    [message] = smtp_server
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"] and "专题 Bcc: spy@example.com" in message["Subject"]
    assert message["To"].addresses[0].addr_spec == firm.user.email
    assert len(message["To"].addresses) == 1


def test_a_line_break_in_another_mail_subject_is_refused_before_queueing():
    from django.core.mail import BadHeaderError, send_mail

    with pytest.raises(BadHeaderError):
        send_mail("标题\nBcc: spy@example.com", "正文", None, ["a@example.com"])
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.exists()


def test_reviewers_are_not_mailed_as_subscribers(reviewer, smtp_server, worker):
    StaffFactory(username="chief2", email="chief2@example.com")
    issue = ready_issue()
    publish(issue, reviewer)
    worker()
    assert smtp_server == []


def test_an_address_no_server_can_take_fails_alone(reviewer, smtp_server, worker):
    before = subscriber("a0")
    bad = subscriber("bad", user__email="no-at-sign")  # as a raw import could leave it
    after = subscriber("z0")
    idn = subscriber("idn", user__email="info@例子.com")  # the domain is sent as punycode
    issue = ready_issue()
    publish(issue, reviewer)
    worker()
    assert addresses(smtp_server) == sorted(
        [before.user.email, after.user.email, "info@xn--fsqu00a.com"]
    )
    row = Delivery.objects.get(subscriber=bad)
    assert (row.status, row.attempts) == (Delivery.Status.FAILED, 1)
    assert "无法生成或发送这封邮件" in row.last_error
    assert Delivery.objects.get(subscriber=idn).status == Delivery.Status.SENT


def test_withdrawing_stops_a_batch_a_worker_already_claimed(reviewer, smtp_server):
    leader_and_firm()
    issue = ready_issue()
    publish(issue, reviewer)
    batch = deliveries._claim(issue.pk)  # a worker took the batch…
    assert len(batch) == 2
    steps.perform(issue, "withdraw", by=reviewer, comment="数据有误")  # …then this
    deliveries._send_batch(deliveries.IssueMail(issue), batch)
    assert smtp_server == []
    assert deliveries.counts(issue)["未发送"] == 2


def test_a_batch_slower_than_the_stale_limit_is_not_sent_twice(reviewer, smtp_server, worker):
    readers = [subscriber(f"reader{n}") for n in range(4)]
    issue = ready_issue()
    publish(issue, reviewer)
    batch = deliveries._claim(issue.pk)  # a slow worker took them all
    with time_machine.travel(timezone.now() + deliveries.STALE_AFTER + timedelta(minutes=1)):
        run_periodic_jobs()  # taken for a dead worker's rows…
        worker()  # …and sent by another worker
        deliveries._send_batch(deliveries.IssueMail(issue), batch)  # the slow one goes on
    assert addresses(smtp_server) == sorted(r.user.email for r in readers)


def test_a_subscriber_made_staff_after_publication_is_not_mailed(reviewer, smtp_server, worker):
    _, firm = leader_and_firm()
    publish(ready_issue(), reviewer)
    firm.user.is_staff = True
    firm.user.save()
    worker()
    assert smtp_server.to(firm.user.email) == []


def test_the_leaders_mail_marks_leadership_only_items_as_the_web_does(
    reviewer, smtp_server, worker
):
    leader, firm = leader_and_firm()
    publish(ready_issue(), reviewer)
    worker()
    [to_leader] = smtp_server.to(leader.user.email)
    [to_firm] = smtp_server.to(firm.user.email)

    plain = to_leader.get_body(("plain",)).get_content()
    html = to_leader.get_body(("html",)).get_content()
    assert "内部参阅：重点项目推进情况【领导参阅】" in plain
    assert re.search(r"内部参阅：重点项目推进情况</a> <span [^>]*>领导参阅</span>", html)
    # Only that item: the leader's other articles are for everyone, and carry no mark.
    assert plain.count("领导参阅") == 1 and html.count(">领导参阅</span>") == 1
    assert "领导参阅" not in text_of(to_firm)


def _site_url_of_a_run_on(port: str) -> str:
    """The SITE_URL a local run gets with PORT in its environment, as `make run` starts it."""
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "ALLOWED_HOSTS")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SITE_URL)",
        ],
        env={**env, "DJANGO_DEBUG": "1", "PORT": port, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_make_run_passes_its_port_to_the_server_and_the_worker():
    # `make run PORT=9000` and `PORT=9000 make run` alike.
    for command in (["make", "-n", "run", "PORT=9000"], ["make", "-n", "run"]):
        env_port = {} if "PORT=9000" in command else {"PORT": "9000"}
        result = subprocess.run(  # noqa: S603 - make, on our own Makefile
            command, env={**os.environ, **env_port}, capture_output=True, text=True, check=True
        )
        assert "PORT=9000 .venv/bin/python manage.py worker" in result.stdout, result.stdout
        assert "PORT=9000 .venv/bin/python manage.py runserver 127.0.0.1:9000" in result.stdout


def test_with_port_9000_every_link_in_issue_and_review_mails_names_9000(
    settings, reviewer, editor, smtp_server, worker
):
    assert _site_url_of_a_run_on("9000") == "http://127.0.0.1:9000"
    assert _site_url_of_a_run_on("8000") == "http://127.0.0.1:8000"
    settings.SITE_URL = _site_url_of_a_run_on("9000")

    leader_and_firm()
    issue = ready_issue()
    issue.created_by = editor
    issue.save()
    publish(issue, reviewer)  # the readers' mails and the editor's 已发布
    article = ArticleFactory(issue=IssueFactory(), created_by=editor, title="待审的文章")
    steps.submit_article(article, by=editor)  # the reviewers' 提交审核
    worker()

    assert len(smtp_server) >= 4
    for message in smtp_server:
        links = re.findall(r"https?://[^\s\"'<>]+", text_of(message))
        links += re.findall(r"<(https?://[^>]+)>", message["List-Unsubscribe"] or "")
        assert links, message["Subject"]
        assert all(link.startswith("http://127.0.0.1:9000/") for link in links), links
