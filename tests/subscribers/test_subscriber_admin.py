from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from apps.subscribers.models import Subscriber
from tests.factories import StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:subscribers_subscriber_changelist")


def new_subscriber(**overrides):
    data = {
        "username": "wang.fz",
        "full_name": "王副职",
        "mobile": "13900000001",
        "email": "wang@example.com",
        "is_active": "on",
        "kind": Subscriber.Kind.LEADERSHIP,
        "organization": "长葛市人民政府",
        "position": "副市长",
        "region": Subscriber.Region.CHANGGE,
        "phone": "0374-6000000",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        "notify_by_email": "on",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_subadmin_creates_a_subscriber_with_the_account(client, subadmin_client):
    response = client.post(reverse("admin:subscribers_subscriber_add"), new_subscriber())
    assert response.status_code == 302
    subscriber = Subscriber.objects.get(user__username="wang.fz")
    user = subscriber.user
    assert (user.get_full_name(), user.mobile, user.email) == (
        "王副职",
        "13900000001",
        "wang@example.com",
    )
    assert not user.has_usable_password()
    assert not user.is_staff
    assert subscriber.kind == Subscriber.Kind.LEADERSHIP


def test_bad_input_is_refused_in_chinese_and_kept(client, subadmin_client):
    SubscriberFactory(user__username="taken", user__mobile="13900000001")
    data = new_subscriber(mobile="13900000001", valid_from="2025-06-01", valid_until="2025-01-01")
    response = client.post(reverse("admin:subscribers_subscriber_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "该手机号码已被其他用户使用" in page
    assert "订阅截止日期不能早于开始日期" in page
    assert 'value="长葛市人民政府"' in page
    assert not Subscriber.objects.filter(user__username="wang.fz").exists()
    assert not get_user_model().objects.filter(username="wang.fz").exists()

    response = client.post(
        reverse("admin:subscribers_subscriber_add"), new_subscriber(mobile="12345")
    )
    assert "请输入 11 位手机号码" in response.content.decode()


def test_subadmin_cannot_reach_staff_accounts(client, subadmin_client):
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    staff = StaffFactory(username="editor9")
    assert client.get(reverse("admin:accounts_user_change", args=[staff.pk])).status_code == 403


def test_filters_and_search(client, subadmin_client):
    today = timezone.localdate()
    SubscriberFactory(
        user__username="soon", organization="甲单位", valid_until=today + timedelta(days=10)
    )
    SubscriberFactory(user__username="later", organization="乙单位", phone="0374-1234567")
    SubscriberFactory(
        user__username="gone",
        organization="丙单位",
        valid_from=today - timedelta(days=100),
        valid_until=today - timedelta(days=1),
    )
    page = client.get(CHANGELIST, {"subscription": "expiring"}).content.decode()
    assert "甲单位" in page and "乙单位" not in page and "丙单位" not in page
    page = client.get(CHANGELIST, {"subscription": "expired"}).content.decode()
    assert "丙单位" in page and "甲单位" not in page
    page = client.get(CHANGELIST, {"q": "1234567"}).content.decode()
    assert "乙单位" in page and "甲单位" not in page

    index = client.get(reverse("admin:index")).content.decode()
    assert "<strong>1</strong> 个订户将在 30 天内到期" in index


def test_suspend_takes_effect_on_the_next_page_and_activate_restores(client, subadmin_client):
    reader = SubscriberFactory(user__username="reader1")
    from django.test import Client

    reader_client = Client()
    reader_client.force_login(reader.user)
    assert reader_client.get(reverse("reader:issues")).status_code == 200

    client.post(CHANGELIST, {"action": "suspend", "_selected_action": [reader.pk]})
    assert reader_client.get(reverse("reader:issues")).status_code == 302

    client.post(CHANGELIST, {"action": "activate", "_selected_action": [reader.pk]})
    reader.user.refresh_from_db()
    assert reader.user.is_active


def test_extend_by_one_year(client, subadmin_client):
    today = timezone.localdate()
    running = SubscriberFactory(user__username="running", valid_until=date(today.year + 1, 3, 31))
    lapsed = SubscriberFactory(
        user__username="lapsed",
        valid_from=today - timedelta(days=500),
        valid_until=today - timedelta(days=100),
    )
    response = client.post(
        CHANGELIST,
        {"action": "extend_one_year", "_selected_action": [running.pk, lapsed.pk]},
        follow=True,
    )
    assert "已为 2 个订户续订一年" in response.content.decode()
    running.refresh_from_db()
    lapsed.refresh_from_db()
    assert running.valid_until == date(today.year + 2, 3, 31)
    # A lapsed subscription restarts from today rather than from its old end.
    assert lapsed.valid_until >= today + timedelta(days=364)
    assert lapsed.is_current()


def test_staff_accounts_are_out_of_the_subscriber_managers_reach(client, subadmin_client):
    staff_reader = SubscriberFactory(user__username="chief", user__is_staff=True)
    SubscriberFactory(user__username="ordinary", organization="普通单位")
    page = client.get(CHANGELIST).content.decode()
    assert "普通单位" in page
    assert "chief" not in page
    change = reverse("admin:subscribers_subscriber_change", args=[staff_reader.pk])
    response = client.post(change, new_subscriber(username="chief", email="attacker@example.com"))
    assert response.status_code == 302  # "does not exist": back to the list
    staff_reader.user.refresh_from_db()
    assert staff_reader.user.email == "chief@example.com"
