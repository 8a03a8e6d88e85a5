"""Issue 18, findings 7 and 8: the export answers a bad query string as the list does, and an
import applies the user model's own rules to the account columns.

7. ?format=0 on the export was a 500: the export filters by the list's query string, and the
   library let the list's refusal of an unknown parameter through.
8. An import created an account named `=cmd|" /C calc"!A0`: the username went unchecked.
"""

import io

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html
from openpyxl import Workbook, load_workbook

from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS, SubscriberResource
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:subscribers_subscriber_export")
CHANGELIST_URL = reverse("admin:subscribers_subscriber_changelist")
IMPORT_URL = reverse("admin:subscribers_subscriber_import")
PROCESS_URL = reverse("admin:subscribers_subscriber_process_import")
HEADERS = list(COLUMNS.values())

# --- finding 7: the export's query string ---

BAD_QUERIES = [
    "format=0",
    "format=abc",
    "format=99",
    "foo=1",
    "o=zz",
    "kind__exact=zzz",
    "valid_until__gte=abc",
    "user__is_active__exact=maybe",
    "industries__id__exact=abc",
    "industries__id__exact=99999999999999999999",
    "subscription=nope",
    "e=1&format=0",
]


@pytest.fixture
def answers(subadmin_client):
    """GET the export and the list with the same query string, as the 订户管理 user."""
    subadmin_client.raise_request_exception = False

    def get(query, method="get"):
        send = getattr(subadmin_client, method)
        return send(f"{EXPORT_URL}?{query}"), subadmin_client.get(f"{CHANGELIST_URL}?{query}")

    return get


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_bad_query_string_is_answered_as_the_list_answers_it(answers, query):
    SubscriberFactory(user__username="reader1")
    export, changelist = answers(query)

    assert export.status_code < 500
    assert export.status_code == changelist.status_code
    if changelist.status_code == 302:
        assert changelist["Location"] == f"{CHANGELIST_URL}?e=1"
        assert export["Location"] == f"{EXPORT_URL}?e=1"


def test_the_redirected_export_says_why_and_still_exports(subadmin_client):
    SubscriberFactory(user__username="reader1")
    response = subadmin_client.get(f"{EXPORT_URL}?format=0", follow=True)

    assert response.redirect_chain == [(f"{EXPORT_URL}?e=1", 302)]
    assert response.status_code == 200
    assert "导出链接中的筛选条件无效" in response.content.decode()
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}
    exported = subadmin_client.post(f"{EXPORT_URL}?e=1", {"format": "0", "resource": "0", **fields})
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["reader1"]


def test_a_post_with_a_bad_query_string_is_redirected_not_a_500(answers):
    export, _ = answers("format=0", method="post")
    assert export.status_code == 302
    assert export["Location"] == f"{EXPORT_URL}?e=1"


def test_a_valid_filter_still_narrows_the_export(subadmin_client):
    SubscriberFactory(user__username="leader1", kind=Subscriber.Kind.LEADERSHIP)
    SubscriberFactory(user__username="firm1", kind=Subscriber.Kind.ENTERPRISE)
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}

    response = subadmin_client.post(
        f"{EXPORT_URL}?kind__exact=leadership", {"format": "0", "resource": "0", **fields}
    )

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["leader1"]


# --- finding 8: the account columns of an import ---


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
        "industries": "新材料",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        "notify_by_email": "是",
        **values,
    }
    return [defaults.get(key) for key in COLUMNS]


def workbook(*rows):
    book = Workbook()
    book.active.append(HEADERS)
    for values in rows:
        # As text, the way a hostile cell arrives: openpyxl would store "=…" as a formula.
        book.active.append(values)
        for cell in book.active[book.active.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("订户.xlsx", buffer.getvalue())


def problems(response):
    """The 问题 cell of each refused row of the preview, by its row label (第 N 行)."""
    page = html.fromstring(response.content.decode())
    table = page.xpath('//table[contains(@class, "import-preview")]')[0]
    headers = [" ".join(th.text_content().split()) for th in table.xpath("thead/tr/th")]
    column = headers.index("问题") - 1
    return {
        " ".join(tr.xpath("th")[0].text_content().split()): " ".join(
            tr.xpath("td")[column].text_content().split()
        )
        for tr in table.xpath("tbody/tr")
    }


LONG_USERNAME = "a" * 151
# Well formed (the e-mail validator takes up to 320 characters), but longer than the column.
LONG_EMAIL = f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 10}.com"

REFUSED = [
    ({"username": '=cmd|" /C calc"!A0'}, '用户名：用户名“=cmd|" /C calc"!A0”无效'),
    ({"username": "li shuji"}, "用户名：用户名“li shuji”无效"),
    ({"username": LONG_USERNAME}, "用户名：不能超过 150 个字符（现有 151 个）。"),
    ({"email": "li@"}, "电子邮箱：电子邮箱“li@”格式不正确。"),
    ({"email": LONG_EMAIL}, f"电子邮箱：不能超过 254 个字符（现有 {len(LONG_EMAIL)} 个）。"),
    ({"mobile": "1370000000a"}, "手机号码：手机号码“1370000000a”格式不正确"),
    ({"full_name": "李" * 151}, "姓名：不能超过 150 个字符（现有 151 个）。"),
]
REFUSED_IDS = ["formula", "space", "too-long", "email", "long-email", "mobile", "long-name"]


@pytest.mark.parametrize(("values", "message"), REFUSED, ids=REFUSED_IDS)
def test_a_row_the_user_model_refuses_is_named_and_nothing_is_imported(
    subadmin_client, values, message
):
    users = get_user_model().objects.count()
    good = row(username="good.one", mobile="13700000009", email="good@example.com")

    response = subadmin_client.post(
        IMPORT_URL,
        {"import_file": workbook(good, row(**values)), "format": "0", "resource": "0"},
    )

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None  # nothing to confirm
    refused = problems(response)
    assert list(refused) == ["第 3 行"]
    assert message in refused["第 3 行"]
    assert get_user_model().objects.count() == users
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(("values", "message"), REFUSED, ids=REFUSED_IDS)
def test_no_caller_of_the_resource_skips_the_rules(values, message):
    # Not the admin: the resource itself, as a command or a shell would call it, for real.
    users = get_user_model().objects.count()
    dataset = tablib.Dataset(row(username="good.one"), row(**values), headers=HEADERS)

    result = SubscriberResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    errors = result.invalid_rows[0].error_dict
    column, text = message.split("：", 1)
    assert any(text in refusal for refusal in errors[column])
    assert get_user_model().objects.count() == users
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("username", ["李书记", "li.shu+ji@xc-2025_01", "张三2号"])
def test_usernames_the_user_model_takes_still_import(subadmin_client, username):
    preview = subadmin_client.post(
        IMPORT_URL,
        {"import_file": workbook(row(username=username)), "format": "0", "resource": "0"},
    )
    form = preview.context["confirm_form"]
    assert form is not None

    subadmin_client.post(PROCESS_URL, {**form.initial, "resource": "0"})

    subscriber = Subscriber.objects.get(user__username=username)
    assert subscriber.user.get_full_name() == "李书记"
