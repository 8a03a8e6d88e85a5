"""The subscriber list's 状态 column and its filter say what the reader meets at sign-in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:subscribers_subscriber_changelist")


def states(page):
    """Map each listed organization to its 状态 cell."""
    rows = html.fromstring(page.decode()).xpath('//table[@id="result_list"]/tbody/tr')
    return {cell(row, "organization"): cell(row, "state") for row in rows}


def cell(row, column):
    [td] = row.xpath(f'td[contains(concat(" ", @class, " "), " field-{column} ")]')
    return td.text_content().strip()


@pytest.fixture
def subscribers():
    today = timezone.localdate()
    current = {"valid_from": today - timedelta(days=10), "valid_until": today + timedelta(days=300)}
    SubscriberFactory(user__username="ok", organization="有效单位", **current)
    SubscriberFactory(
        user__username="off", user__is_active=False, organization="停用单位", **current
    )
    SubscriberFactory(
        user__username="gone",
        organization="到期单位",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    SubscriberFactory(
        user__username="offgone",
        user__is_active=False,
        organization="停用且到期单位",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    SubscriberFactory(
        user__username="soon",
        organization="未开始单位",
        valid_from=today + timedelta(days=5),
        valid_until=today + timedelta(days=300),
    )


def test_a_suspended_subscriber_is_listed_as_suspended(client, subadmin_client, subscribers):
    assert states(client.get(CHANGELIST).content) == {
        "有效单位": "有效",
        "停用单位": "已停用",
        "到期单位": "已到期",
        "停用且到期单位": "已停用",
        "未开始单位": "尚未开始",
    }


@pytest.mark.parametrize(
    ("value", "listed"),
    [
        ("valid", {"有效单位"}),
        ("expired", {"到期单位"}),
        ("future", {"未开始单位"}),
        ("suspended", {"停用单位", "停用且到期单位"}),
    ],
)
def test_the_state_filter_agrees_with_the_column(
    client, subadmin_client, subscribers, value, listed
):
    page = client.get(CHANGELIST, {"subscription": value}).content
    assert set(states(page)) == listed
