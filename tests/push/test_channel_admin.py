"""The push channels in the admin: who manages them, where a webhook may point, what a page
shows of a key, and 发送测试消息."""

import pytest
from django.urls import reverse

from apps.push.models import Channel
from tests.conftest import member_of

pytestmark = pytest.mark.django_db

ADD = reverse("admin:push_channel_add")


@pytest.fixture(autouse=True)
def posted(settings):
    settings.PUSH_CONSOLE = False


def form(**fields):
    return {
        "name": "市领导工作群",
        "kind": "dingtalk",
        "audience": "leadership",
        "active": "on",
        **fields,
    }


def test_a_reviewer_adds_a_channel_and_its_key_is_never_shown_again(client, reviewer, vendors):
    robot = vendors.add("dingtalk", secret="SEC" + "a" * 61)
    url = vendors.url("dingtalk", robot.key)
    client.force_login(reviewer)
    response = client.post(ADD, form(webhook_url=url, secret=robot.secret))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    assert (channel.webhook_url, channel.secret) == (url, robot.secret)

    for page in (
        client.get(reverse("admin:push_channel_changelist")),
        client.get(reverse("admin:push_channel_change", args=[channel.pk])),
    ):
        text = page.content.decode()
        assert robot.key not in text and robot.secret not in text
        assert robot.key[-4:] in text

    # Saved again without typing them: both are kept.
    change = reverse("admin:push_channel_change", args=[channel.pk])
    response = client.post(change, form(name="市领导群", webhook_url="", secret=""))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_url, channel.secret) == ("市领导群", url, robot.secret)


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh"),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh"),
        ("feishu", "https://10.0.0.5/open-apis/bot/v2/hook/abcd-1234-efgh"),
        ("feishu", "javascript:alert(1)//open.feishu.cn/open-apis/bot/v2/hook/abcd-1234"),
        ("wecom", "https://evil.example.com/cgi-bin/webhook/send?key=abcd-1234-efgh"),
    ],
)
def test_an_address_off_the_vendors_host_is_refused_in_chinese(client, reviewer, kind, address):
    client.force_login(reviewer)
    response = client.post(ADD, form(kind=kind, webhook_url=address))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["webhook_url"]
    assert not Channel.objects.exists()
    page = response.content.decode()
    assert "Webhook" in page and "地址" in page


def test_the_test_message_reaches_the_group_and_a_bad_key_says_why(client, reviewer, vendors):
    robot = vendors.add("wecom")
    channel = Channel.objects.create(
        name="企业群",
        kind="wecom",
        audience="enterprise",
        webhook_url=vendors.url("wecom", robot.key),
    )
    client.force_login(reviewer)
    test = reverse("admin:push_channel_test", args=[channel.pk])
    response = client.post(test, follow=True)
    assert "测试消息已发送" in response.content.decode()
    [card] = vendors.messages("wecom", robot.key)
    assert "推送渠道测试" in str(card.body)

    vendors.revoke("wecom", robot.key)
    response = client.post(test, follow=True)
    page = response.content.decode()
    assert "测试消息未能发送" in page and "93000" in page and robot.key not in page
    assert client.get(test).status_code == 405


def test_editors_and_subscriber_administrators_do_not_manage_channels(client, vendors):
    robot = vendors.add("wecom")
    channel = Channel.objects.create(
        name="企业群", kind="wecom", audience="all", webhook_url=vendors.url("wecom", robot.key)
    )
    for role in ("编辑", "订户管理"):
        client.force_login(member_of(role, f"user-{role}"))
        assert client.get(reverse("admin:push_channel_changelist")).status_code == 403
        response = client.post(reverse("admin:push_channel_test", args=[channel.pk]))
        assert response.status_code == 403
    assert vendors.messages() == []


def test_the_channel_list_shows_each_latest_card_in_a_fixed_number_of_queries(
    client, reviewer, django_assert_max_num_queries
):
    from apps.push.models import PushDelivery
    from tests.factories import IssueFactory

    issue = IssueFactory(year=2024, number=3)
    for index in range(6):
        made = Channel.objects.create(
            name=f"群{index}",
            kind="wecom",
            audience="all",
            webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=key-{index:04d}-x",
        )
        PushDelivery.objects.create(
            issue=issue,
            channel=made,
            status=PushDelivery.Status.FAILED if index % 2 else PushDelivery.Status.SENT,
            last_error="机器人地址无效（企业微信 93000）" if index % 2 else "",
        )
    client.force_login(reviewer)
    changelist = reverse("admin:push_channel_changelist")
    client.get(changelist)  # content types and permissions cached
    with django_assert_max_num_queries(12):
        page = client.get(changelist).content.decode()
    assert page.count("2024年第3期：已推送") == 3
    assert page.count("推送失败") == 3 and "93000" in page


@pytest.mark.parametrize(
    "lookup",
    [
        "webhook_url__startswith",
        "webhook_url__contains",
        "secret__startswith",
        "secret__regex",
        "secret__exact",
        "secret",
    ],
)
def test_the_list_cannot_be_filtered_by_the_key_or_the_secret(client, reviewer, lookup):
    """A filter answering with or without the channel would read them back, one character
    at a time."""
    Channel.objects.create(
        name="市领导群",
        kind="dingtalk",
        audience="leadership",
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=" + "a" * 64,
        secret="SEC" + "b" * 61,
    )
    client.force_login(reviewer)
    response = client.get(reverse("admin:push_channel_changelist"), {lookup: "S"})
    assert response.status_code == 400
    assert "市领导群" not in response.content.decode()
