import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

HEADERS = list(COLUMNS.values())
IMPORT_URL = reverse("admin:subscribers_subscriber_import")
PROCESS_URL = reverse("admin:subscribers_subscriber_process_import")


def row(**values):
    defaults = {
        "username": "li.shuji",
        "full_name": "李书记",
        "mobile": "13700000001",
        "email": "li@example.com",
        "kind": "领导",
        "organization": "鄢陵县委",
        "position": "书记",
        "region": "鄢陵县",
        "phone": "",
        "industries": "新材料、食品",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        "notify_by_email": "是",
        "wecom_userid": "",
        "notes": "",
    }
    defaults.update(values)
    return [defaults[key] for key in COLUMNS]


def xlsx(*rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("订户.xlsx", buffer.getvalue())


def csv_file(*rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return SimpleUploadedFile("订户.csv", buffer.getvalue().encode("utf-8"))


def dry_run(client, upload, fmt="0"):
    return client.post(IMPORT_URL, {"import_file": upload, "format": fmt, "resource": "0"})


def confirm(client, response, **ticks):
    """Post the confirmation form the dry run page offers (with `ticks`, e.g. a tick box)."""
    form = response.context["confirm_form"]
    data = {name: value for name, value in form.initial.items() if value is not False}
    return client.post(PROCESS_URL, {**data, "resource": "0", **ticks}, follow=True)


def test_template_has_the_chinese_headers(client, subadmin_client):
    response = client.get(reverse("admin:subscribers_template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert [cell.value for cell in workbook["订户"][1]] == HEADERS
    guide = " ".join(str(c.value) for r in workbook["填写说明"].iter_rows() for c in r)
    assert "魏都区" in guide and "发制品" in guide


def test_dry_run_previews_and_changes_nothing_then_confirm_imports(client, subadmin_client):
    upload = xlsx(
        row(),
        row(
            username="zhao.jl",
            full_name="赵经理",
            mobile="13700000002",
            email="zhao@example.com",
            kind="企业",
            organization="许昌某发制品公司",
            region="魏都区",
            industries="发制品",
            notify_by_email="否",
        ),
    )
    response = dry_run(client, upload)
    assert response.status_code == 200
    assert response.context["confirm_form"] is not None
    page = response.content.decode()
    assert "李书记" in page
    assert not Subscriber.objects.exists()
    assert not get_user_model().objects.filter(username="li.shuji").exists()

    confirm(client, response)
    li = Subscriber.objects.get(user__username="li.shuji")
    assert (li.kind, li.region, li.organization) == (
        Subscriber.Kind.LEADERSHIP,
        Subscriber.Region.YANLING,
        "鄢陵县委",
    )
    assert li.user.mobile == "13700000001"
    assert {i.name for i in li.industries.all()} == {"新材料", "食品"}
    assert not li.user.has_usable_password()
    zhao = Subscriber.objects.get(user__username="zhao.jl")
    assert zhao.notify_by_email is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mobile": "1370000"}, "手机号码“1370000”格式不正确"),
        ({"region": "许昌县"}, "“许昌县”不是有效的地区"),
        ({"industries": "新材料、人工智能"}, "未知的产业：人工智能"),
        ({"kind": "市民"}, "“市民”不是有效的订户类型"),
        ({"valid_until": "明年"}, "日期“明年”无法识别"),
        ({"organization": ""}, "必填"),
        ({"email": "not-an-email"}, "电子邮箱“not-an-email”格式不正确"),
    ],
)
def test_one_bad_row_imports_nothing(client, subadmin_client, values, message):
    good = row(username="good.one", mobile="13700000009", email="good@example.com")
    bad = row(**values)
    response = dry_run(client, xlsx(good, bad))
    page = response.content.decode()
    assert message in page
    assert response.context.get("confirm_form") is None  # no way to confirm a bad file
    assert not Subscriber.objects.exists()

    # Even forcing the second step imports nothing.
    import tablib

    from apps.subscribers.resources import SubscriberResource

    dataset = tablib.Dataset(good, bad, headers=HEADERS)
    result = SubscriberResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert not Subscriber.objects.exists()
    assert not get_user_model().objects.filter(username="good.one").exists()


def test_duplicates_in_the_file_and_in_the_database(client, subadmin_client):
    SubscriberFactory(user__username="old", user__mobile="13700000005")
    first = row(username="dup", mobile="13700000003", email="a@example.com")
    second = row(username="dup", mobile="13700000004", email="b@example.com")
    third = row(username="new3", mobile="13700000005", email="c@example.com")
    page = dry_run(client, xlsx(first, second, third)).content.decode()
    assert "文件中有重复的用户名" in page
    assert "手机号码“13700000005”已被其他订户使用" in page
    assert Subscriber.objects.count() == 1


def test_csv_import_and_numbers_from_excel(client, subadmin_client):
    response = dry_run(client, csv_file(row()), fmt="1")
    assert response.context["confirm_form"] is not None
    confirm(client, response)
    assert Subscriber.objects.filter(user__username="li.shuji").exists()

    as_number = row(username="num", mobile=13700000007, email="num@example.com")
    response = dry_run(client, xlsx(as_number))
    assert response.context["confirm_form"] is not None


def test_import_updates_an_existing_subscriber(client, subadmin_client):
    # The account keeps its e-mail and mobile: this test used to change them silently, which
    # was the account takeover; that now needs its own confirmation (tests/security).
    existing = SubscriberFactory(
        user__username="li.shuji",
        user__email="li@example.com",
        user__mobile="13700000001",
        organization="旧单位",
    )
    response = dry_run(client, xlsx(row()))
    # The row makes an enterprise reader a leader: a change of kind needs its own tick.
    assert "账号li.shuji的订户类型：企业 → 领导" in response.content.decode()
    confirm(client, response, confirm_risky_changes="on")
    existing.refresh_from_db()
    assert existing.organization == "鄢陵县委"
    assert Subscriber.objects.count() == 1


def test_username_of_a_staff_account_is_refused(client, subadmin_client):
    page = dry_run(client, xlsx(row(username="subadmin1"))).content.decode()
    assert "该用户名已被其他账号使用" in page


def test_missing_columns_are_reported(client, subadmin_client):
    workbook = Workbook()
    workbook.active.append(["姓名", "单位"])
    workbook.active.append(["某人", "某单位"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = dry_run(client, SimpleUploadedFile("x.xlsx", buffer.getvalue())).content.decode()
    assert "文件缺少以下列" in page
    assert not Subscriber.objects.exists()


def test_export_has_chinese_headers_and_labels(client, subadmin_client):
    subscriber = SubscriberFactory(
        user__username="exported", kind=Subscriber.Kind.LEADERSHIP, region=Subscriber.Region.CHANGGE
    )
    response = client.post(
        reverse("admin:subscribers_subscriber_export"),
        {"format": "0", "resource": "0", **{f"subscriberresource_{k}": "on" for k in COLUMNS}},
    )
    assert response.status_code == 200, response.content[:500]
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[1][0] == "exported"
    assert "领导" in rows[1] and "长葛市" in rows[1]
    assert subscriber.organization in rows[1]
