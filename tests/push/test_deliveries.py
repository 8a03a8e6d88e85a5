"""An issue's cards in the work groups: queued when it goes live, sent once by the worker to the
suite's own robots (tests/push/vendor_server.py), retried, stopped, withdrawn."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Industry
from apps.push import deliveries
from apps.push.models import Channel, PushDelivery
from apps.workflow import steps
from tests.notifications.helpers import MAIL_TEST, publish, ready_issue

pytestmark = pytest.mark.django_db(**MAIL_TEST)
Status = PushDelivery.Status


@pytest.fixture(autouse=True)
def posted(settings):
    settings.PUSH_CONSOLE = False  # post to the robots, as in production


def channel(server, kind, audience, *, name=None, secret="", **robot):
    bot = server.add(kind, secret=secret, **robot)
    made = Channel.objects.create(
        name=name or f"{kind}-{audience}",
        kind=kind,
        audience=audience,
        webhook_url=server.url(kind, bot.key),
        secret=secret,
    )
    return made, bot


def text_of(message) -> str:
    """Everything a group sees of a card (its JSON's strings)."""
    return str(message.body)


def test_each_group_gets_one_card_with_only_what_all_its_members_may_read(
    vendors, reviewer, worker
):
    firms, firm_bot = channel(vendors, "wecom", Channel.Audience.ENTERPRISE)
    _, leader_bot = channel(
        vendors, "dingtalk", Channel.Audience.LEADERSHIP, secret="SEC" + "d" * 60
    )
    _, everyone_bot = channel(vendors, "feishu", Channel.Audience.ALL, secret="feishu-secret-1234")
    Channel.objects.create(
        name="停用的群", kind="wecom", audience="all", webhook_url=firms.webhook_url, active=False
    )
    issue = ready_issue()

    publish(issue, reviewer)
    assert vendors.messages() == [], "the reviewer's request posts nothing itself"
    worker()

    issue.refresh_from_db()
    heading = f"《许昌竞争情报快递》{issue.year}年第{issue.number}期（总第{issue.total_number}期）"
    [to_firms] = vendors.messages("wecom", firm_bot.key)
    [to_leaders] = vendors.messages("dingtalk", leader_bot.key)
    [to_everyone] = vendors.messages("feishu", everyone_bot.key)
    for card in (to_firms, to_leaders, to_everyone):
        assert heading in text_of(card)
        assert issue.get_absolute_url() in text_of(card)
        assert "内部参阅" not in text_of(card), "a leadership-only title is never in a group"
        assert "摘要" not in text_of(card), "never a summary"
    for card in (to_firms, to_everyone):
        text = text_of(card)
        assert text.index("新材料产业发展动态") < text.index("智能装备项目进展")
    assert "新材料产业发展动态" not in text_of(to_leaders), "a leaders' group: the issue only"
    assert to_everyone.body["msg_type"] == "interactive"
    assert to_leaders.body["msgtype"] == "actionCard"
    assert len(vendors.messages()) == 3, "the inactive channel gets nothing"
    assert set(PushDelivery.objects.values_list("status", flat=True)) == {Status.SENT}

    # Exactly once: the minute's jobs and another worker run send nothing again.
    deliveries.resume()
    worker()
    assert len(vendors.messages()) == 3


def test_a_channel_narrowed_to_industries_gets_only_issues_and_titles_of_them(
    vendors, reviewer, worker
):
    materials, bot = channel(vendors, "wecom", Channel.Audience.ENTERPRISE)
    materials.industries.set([Industry.objects.get(name="新材料")])
    elsewhere, other_bot = channel(vendors, "feishu", Channel.Audience.ALL)
    elsewhere.industries.set([Industry.objects.get(name="生物医药")])
    publish(ready_issue(), reviewer)
    worker()
    [card] = vendors.messages("wecom", bot.key)
    assert "新材料产业发展动态" in text_of(card)
    assert "智能装备项目进展" not in text_of(card)
    assert vendors.messages("feishu", other_bot.key) == []
    assert not PushDelivery.objects.filter(channel=elsewhere).exists()


def test_a_failing_robot_is_retried_later_and_never_holds_up_the_others(vendors, reviewer, worker):
    broken, broken_bot = channel(vendors, "dingtalk", Channel.Audience.ALL)
    _, working_bot = channel(vendors, "wecom", Channel.Audience.ALL)
    vendors.misbehave("dingtalk", broken_bot.key, "500")
    issue = ready_issue()
    publish(issue, reviewer)
    worker()

    assert len(vendors.messages("wecom", working_bot.key)) == 1
    row = PushDelivery.objects.get(channel=broken)
    assert row.status == Status.QUEUED and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert "稍后自动重试" in row.last_error

    vendors.misbehave("dingtalk", broken_bot.key, "")
    later = row.next_attempt_at + timedelta(seconds=1)
    deliveries.send_due(issue.pk, now=later)
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(vendors.messages("dingtalk", broken_bot.key)) == 1
    assert len(vendors.messages("wecom", working_bot.key)) == 1


@pytest.mark.parametrize("mode", ["html", "close", "unknown"])
def test_a_robot_answering_nonsense_is_recorded_and_the_mail_is_unaffected(
    vendors, reviewer, worker, smtp_server, mode
):
    from tests.notifications.helpers import leader_and_firm

    leader_and_firm()
    broken, bot = channel(vendors, "wecom", Channel.Audience.ALL)
    vendors.misbehave("wecom", bot.key, mode)
    publish(ready_issue(), reviewer)
    worker()
    assert len(smtp_server) == 2, "the e-mail goes out whatever a robot answers"
    row = PushDelivery.objects.get(channel=broken)
    assert row.last_error
    # An unknown code will not change by itself: stop. A proxy's page or a cut line may.
    expected = Status.FAILED if mode == "unknown" else Status.QUEUED
    assert row.status == expected


def test_a_permanent_error_stops_shows_its_meaning_and_can_be_pushed_again(
    vendors, reviewer, worker, client
):
    revoked, bot = channel(vendors, "wecom", Channel.Audience.ENTERPRISE)
    vendors.revoke("wecom", bot.key)
    issue = ready_issue()
    publish(issue, reviewer)
    worker()
    row = PushDelivery.objects.get(channel=revoked)
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "93000" in row.last_error and bot.key not in row.last_error

    client.force_login(reviewer)
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "工作群推送" in page and "推送失败" in page and row.last_error in page
    assert bot.key not in page

    # The group's robot is added again; 重新推送 sends the card, once.
    vendors.robots[("wecom", bot.key)].revoked = False
    response = client.post(reverse("admin:issues_issue_push_retry", args=[issue.pk]))
    assert response.status_code == 302
    worker()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(vendors.messages("wecom", bot.key)) == 1


def test_a_wrong_signing_secret_is_a_permanent_error(vendors, reviewer, worker):
    signed, _ = channel(vendors, "feishu", Channel.Audience.ALL, secret="right-secret")
    Channel.objects.filter(pk=signed.pk).update(secret="wrong-secret")
    publish(ready_issue(), reviewer)
    worker()
    row = PushDelivery.objects.get(channel=signed)
    assert row.status == Status.FAILED
    assert "签名" in row.last_error and "wrong-secret" not in row.last_error


def test_an_issue_withdrawn_before_its_push_sends_nothing(vendors, reviewer, worker):
    _, bot = channel(vendors, "wecom", Channel.Audience.ALL)
    issue = ready_issue()
    publish(issue, reviewer)
    steps.perform(issue, "withdraw", by=reviewer, comment="数据有误")
    worker()
    assert vendors.messages() == []
    assert PushDelivery.objects.get().status == Status.CANCELLED

    # Published again: what the withdrawal stopped goes out, once.
    steps.perform(issue, "reopen", by=reviewer)
    steps.perform(issue, "submit", by=reviewer)
    publish(issue, reviewer)
    worker()
    assert len(vendors.messages("wecom", bot.key)) == 1


def test_a_worker_killed_mid_push_neither_repeats_nor_loses_a_card(vendors, reviewer):
    posted_before, posted_bot = channel(vendors, "wecom", Channel.Audience.ALL)
    claimed_only, claimed_bot = channel(vendors, "feishu", Channel.Audience.ALL)
    issue = ready_issue()
    publish(issue, reviewer)
    now = timezone.now()
    # A worker died: it claimed both, and one request had left (the group may have the card).
    PushDelivery.objects.update(status=Status.SENDING, claimed_at=now, attempts=1)
    PushDelivery.objects.filter(channel=posted_before).update(posted_at=now)
    vendors.messages()  # nothing reached the robots in this test so far
    later = now + deliveries.STALE_AFTER + timedelta(seconds=1)

    deliveries.resume(now=later)
    deliveries.send_due(issue.pk, now=later)

    unknown = PushDelivery.objects.get(channel=posted_before)
    assert unknown.status == Status.FAILED and "可能已送达" in unknown.last_error
    assert vendors.messages("wecom", posted_bot.key) == [], "not sent a second time by itself"
    assert PushDelivery.objects.get(channel=claimed_only).status == Status.SENT
    assert len(vendors.messages("feishu", claimed_bot.key)) == 1


def test_each_robot_gets_at_most_twenty_cards_a_minute(vendors, reviewer):
    _, bot = channel(vendors, "wecom", Channel.Audience.ALL)
    issues = [ready_issue() for _ in range(deliveries.PER_MINUTE + 1)]
    for issue in issues:
        # In whatever order the factory numbered them: the order rule is not this test's.
        publish(issue, reviewer, out_of_order=True)
    now = timezone.now()
    for issue in issues:
        deliveries.send_due(issue.pk, now=now)
    assert len(vendors.messages("wecom", bot.key)) == deliveries.PER_MINUTE
    waiting = PushDelivery.objects.get(status=Status.QUEUED)
    assert waiting.next_attempt_at > now and waiting.attempts == 0
    assert vendors.messages(accepted=False) == [], "the robot's own limit was never hit"


def test_a_real_worker_killed_while_a_robot_is_answering_sends_that_card_once(
    vendors, reviewer, smtp_server
):
    """`manage.py worker` as in production, killed (SIGKILL) while the robot takes its time to
    answer: the group got the card once, and the next worker does not send it again; the row
    says so, for the reviewer to check the group before 重新推送."""
    import signal
    import subprocess
    import time

    from django.conf import settings

    from tests.conftest import shared_database_url
    from tests.notifications.helpers import start_worker

    slow, bot = channel(vendors, "wecom", Channel.Audience.ALL)
    vendors.slow_seconds = 4
    vendors.misbehave("wecom", bot.key, "slow")
    issue = ready_issue()
    publish(issue, reviewer)

    def run_worker():
        return start_worker(
            database_url=shared_database_url(),
            smtp_port=settings.EMAIL_PORT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"PUSH_CONSOLE": "0", "PUSH_EXTRA_HOSTS": vendors.host},
        )

    worker = run_worker()
    try:
        deadline = time.monotonic() + 60
        while not vendors.messages(accepted=None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert vendors.messages(accepted=None), "the worker reached the robot"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    deadline = time.monotonic() + 10
    while not vendors.messages() and time.monotonic() < deadline:
        time.sleep(0.1)  # the robot answers its (now closed) request: the group has the card
    assert len(vendors.messages("wecom", bot.key)) == 1
    assert PushDelivery.objects.get(channel=slow).status == Status.SENDING

    # Minutes later a new worker's schedule finds the row its dead predecessor left.
    vendors.misbehave("wecom", bot.key, "")
    stale = timezone.now() - deliveries.STALE_AFTER - timedelta(seconds=1)
    PushDelivery.objects.filter(channel=slow).update(claimed_at=stale)
    worker = run_worker()
    try:
        deadline = time.monotonic() + 30
        while (
            PushDelivery.objects.get(channel=slow).status == Status.SENDING
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        time.sleep(1.5)  # a schedule or two more: nothing is sent again
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    row = PushDelivery.objects.get(channel=slow)
    assert row.status == Status.FAILED and "可能已送达" in row.last_error
    assert len(vendors.messages("wecom", bot.key, accepted=None)) == 1
