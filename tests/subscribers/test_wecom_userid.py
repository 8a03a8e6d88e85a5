"""The WeCom account (企业微信账号) of a subscriber: set by 订户管理 by hand or by import, one
subscriber per account (case ignored, as WeCom ignores it), changes confirmed like a login
e-mail."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from tests.factories import SubscriberFactory
from tests.subscribers.test_subscriber_admin import new_subscriber

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:subscribers_subscriber_import")
PROCESS_URL = reverse("admin:subscribers_subscriber_process_import")
CSV = "1"  # SubscriberAdmin's formats: XLSX, CSV


def test_the_database_holds_one_subscriber_per_wecom_account():
    SubscriberFactory(wecom_userid="ZhangSan")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(wecom_userid="zhangsan")
    # Many without one.
    SubscriberFactory(wecom_userid="")
    SubscriberFactory(wecom_userid="")


def test_the_admin_sets_the_wecom_account_and_refuses_one_taken(client, subadmin_client):
    SubscriberFactory(user__username="holder", wecom_userid="LiSi")
    add = reverse("admin:subscribers_subscriber_add")
    page = client.get(add).content.decode()
    assert "企业微信账号" in page

    response = client.post(add, new_subscriber(wecom_userid="lisi"))
    assert response.status_code == 200
    assert "该企业微信账号已绑定其他订户" in response.content.decode()

    response = client.post(add, new_subscriber(wecom_userid="有空格 的账号"))
    assert "企业微信账号只能由字母、数字" in response.content.decode()

    response = client.post(add, new_subscriber(wecom_userid="wangfz"))
    assert response.status_code == 302
    assert Subscriber.objects.get(user__username="wang.fz").wecom_userid == "wangfz"


def test_the_admin_finds_a_subscriber_by_wecom_account(client, subadmin_client):
    SubscriberFactory(user__username="found", wecom_userid="wx-found")
    SubscriberFactory(user__username="other")
    changelist = reverse("admin:subscribers_subscriber_changelist")
    page = client.get(changelist, {"q": "wx-found"}).content.decode()
    assert "found" in page and ">other<" not in page


def row(**values):
    defaults = {
        "username": "li.shuji",
        "full_name": "李书记",
        "kind": "领导",
        "organization": "鄢陵县委",
        "region": "鄢陵县",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        "notify_by_email": "是",
    }
    defaults.update(values)
    return [defaults.get(key, "") for key in COLUMNS]


def upload(*rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS.values())
    writer.writerows(rows)
    return SimpleUploadedFile("订户.csv", buffer.getvalue().encode("utf-8"))


def dry_run(client, *rows):
    return client.post(IMPORT_URL, {"import_file": upload(*rows), "format": CSV, "resource": "0"})


def confirm(client, response, **ticks):
    form = response.context["confirm_form"]
    data = {name: value for name, value in form.initial.items() if value is not False}
    return client.post(PROCESS_URL, {**data, "resource": "0", **ticks}, follow=True)


def test_the_import_has_a_wecom_column_and_sets_it(client, subadmin_client):
    assert COLUMNS["wecom_userid"] == "企业微信账号"
    response = dry_run(client, row(wecom_userid="LiShuJi"))
    confirm(client, response)
    assert Subscriber.objects.get(user__username="li.shuji").wecom_userid == "LiShuJi"


def test_the_import_refuses_a_wecom_account_taken_or_repeated(client, subadmin_client):
    SubscriberFactory(user__username="holder", wecom_userid="taken")
    response = dry_run(
        client,
        row(wecom_userid="TAKEN"),
        row(username="a.b", wecom_userid="twice"),
        row(username="c.d", wecom_userid="Twice"),
        row(username="e.f", wecom_userid="-bad"),
    )
    page = response.content.decode()
    assert "企业微信账号“TAKEN”：该企业微信账号已绑定其他订户。" in page
    assert "文件中有重复的企业微信账号“Twice”" in page
    assert "企业微信账号只能由字母、数字" in page
    assert not Subscriber.objects.filter(user__username__in=["li.shuji", "a.b", "c.d"]).exists()


def test_changing_a_subscribers_wecom_account_needs_the_identity_tick(client, subadmin_client):
    subscriber = SubscriberFactory(
        user__username="li.shuji",
        user__email="",
        kind=Subscriber.Kind.LEADERSHIP,
        wecom_userid="old-id",
    )
    response = dry_run(client, row(wecom_userid="attacker"))
    page = response.content.decode()
    assert "账号li.shuji的企业微信账号：old-id → attacker" in page

    confirm(client, response)
    subscriber.refresh_from_db()
    assert subscriber.wecom_userid == "old-id"

    response = dry_run(client, row(wecom_userid="attacker"))
    confirm(client, response, confirm_identity_changes="on", confirm_risky_changes="on")
    subscriber.refresh_from_db()
    assert subscriber.wecom_userid == "attacker"


def test_the_export_has_the_wecom_account(client, subadmin_client):
    SubscriberFactory(user__username="exported", wecom_userid="wx-exported")
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}
    response = client.post(
        reverse("admin:subscribers_subscriber_export"), {"format": CSV, "resource": "0", **fields}
    )
    content = response.content.decode("utf-8-sig")
    assert "企业微信账号" in content and "wx-exported" in content
