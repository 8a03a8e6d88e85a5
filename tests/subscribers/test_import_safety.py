"""A subscriber import that cannot hurt (issue 19, part 5), as 订户管理 uses it over HTTP.

A blank cell leaves an existing subscriber's field as it is, and only "（清空）" clears one; the
dry run shows each changed field as old → new, dates as dates; a row that would end or shorten
a current subscription, change the kind or turn the e-mail off is flagged and needs its own
tick box, without which nothing is imported.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import html
from openpyxl import Workbook, load_workbook

from apps.articles.models import Industry
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:subscribers_subscriber_import")
PROCESS_URL = reverse("admin:subscribers_subscriber_process_import")
RISKY_LABEL = "我确认以上订户的订阅期、订户类型和邮件通知的更改"


def today():
    return timezone.localdate()


@pytest.fixture
def leader():
    """A current leader, with a position, industries and mail: what an import could erase."""
    subscriber = SubscriberFactory(
        user__username="li.shuji",
        user__last_name="李书记",
        user__email="li@example.com",
        user__mobile="13700000001",
        kind=Subscriber.Kind.LEADERSHIP,
        organization="鄢陵县委",
        position="书记",
        region=Subscriber.Region.YANLING,
        phone="0374-1234567",
        valid_from=today() - timedelta(days=30),
        valid_until=today() + timedelta(days=200),
        notify_by_email=True,
        notes="重点读者",
    )
    subscriber.industries.set(Industry.objects.filter(name__in=["新材料", "食品"]))
    return subscriber


def xlsx(*rows):
    """A workbook with the template's headers; each row a dict of column key → cell."""
    book = Workbook()
    book.active.append(list(COLUMNS.values()))
    for row in rows:
        book.active.append([row.get(key) for key in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("订户.xlsx", buffer.getvalue())


def dry_run(client, *rows):
    response = client.post(IMPORT_URL, {"import_file": xlsx(*rows), "format": "0", "resource": "0"})
    assert response.status_code == 200
    return response


def confirm(client, preview, **ticks):
    """Post the confirmation the preview offers, as a browser would (unticked boxes unsent)."""
    form = preview.context["confirm_form"]
    data = {name: value for name, value in form.initial.items() if value is not False}
    return client.post(PROCESS_URL, {**data, **ticks})


def text(response):
    return " ".join(html.fromstring(response.content.decode()).text_content().split())


def preview_cells(response):
    """The preview table: row label → {column name: cell text}."""
    page = html.fromstring(response.content.decode())
    table = page.xpath('//table[contains(@class, "import-preview")]')[0]
    headers = [" ".join(th.text_content().split()) for th in table.xpath("thead/tr/th")]
    rows = {}
    for tr in table.xpath("tbody/tr"):
        cells = [" ".join(cell.text_content().split()) for cell in tr.xpath("th|td")]
        rows[cells[0]] = dict(zip(headers, cells, strict=True))
    return rows


# --- blank cells and the clearing marker ---


def test_blank_cells_leave_an_existing_subscriber_as_it_is(subadmin_client, leader):
    # Only the organization is given (and the username that names the row).
    preview = dry_run(subadmin_client, {"username": "li.shuji", "organization": "鄢陵县政府"})
    assert preview.context["confirm_form"] is not None, text(preview)
    assert "须确认：" not in text(preview)

    response = confirm(subadmin_client, preview)

    assert response.status_code == 302
    leader.refresh_from_db()
    leader.user.refresh_from_db()
    assert leader.organization == "鄢陵县政府"
    assert leader.position == "书记"
    assert {industry.name for industry in leader.industries.all()} == {"新材料", "食品"}
    assert (leader.user.email, leader.user.mobile) == ("li@example.com", "13700000001")
    assert (leader.kind, leader.region, leader.phone) == (
        Subscriber.Kind.LEADERSHIP,
        Subscriber.Region.YANLING,
        "0374-1234567",
    )
    assert leader.valid_until == today() + timedelta(days=200)
    assert leader.notify_by_email is True
    assert leader.notes == "重点读者"
    assert leader.user.get_full_name() == "李书记"


def test_the_history_says_in_chinese_that_the_import_changed_it(subadmin_client, leader):
    preview = dry_run(subadmin_client, {"username": "li.shuji", "organization": "鄢陵县政府"})
    confirm(subadmin_client, preview)
    history = reverse("admin:subscribers_subscriber_history", args=[leader.pk])
    page = text(subadmin_client.get(history))
    assert "通过导入更新" in page
    assert "import_export" not in page


def test_the_clearing_marker_clears_a_field(subadmin_client, leader):
    row = {
        "username": "li.shuji",
        "position": "（清空）",
        "industries": "（清空）",
        "notes": "(清空)",
    }
    preview = dry_run(subadmin_client, row)
    cells = preview_cells(preview)["第 2 行"]
    assert cells["职务"] == "书记 → （空）"
    assert cells["关注产业"] == "新材料、食品 → （空）"

    confirm(subadmin_client, preview)

    leader.refresh_from_db()
    assert leader.position == ""
    assert not leader.industries.exists()
    assert leader.notes == ""
    assert leader.organization == "鄢陵县委"


def test_a_required_column_cannot_be_cleared(subadmin_client, leader):
    response = dry_run(subadmin_client, {"username": "li.shuji", "organization": "（清空）"})
    assert "此列不能清空" in text(response)
    assert response.context.get("confirm_form") is None
    leader.refresh_from_db()
    assert leader.organization == "鄢陵县委"


def test_a_new_subscriber_still_needs_the_required_columns(subadmin_client):
    response = dry_run(subadmin_client, {"username": "new.one", "full_name": "新读者"})
    assert "必填" in text(response)
    assert not Subscriber.objects.filter(user__username="new.one").exists()


def test_the_template_and_the_page_say_how_to_clear(subadmin_client):
    page = text(subadmin_client.get(IMPORT_URL))
    assert "留空的单元格保持原值不变" in page and "（清空）" in page

    template = subadmin_client.get(reverse("admin:subscribers_template"))
    guide = load_workbook(io.BytesIO(template.content))["填写说明"]
    words = " ".join(str(cell) for row in guide.iter_rows(values_only=True) for cell in row)
    assert "留空的单元格保持原值不变" in words and "（清空）" in words


# --- the dry run shows old → new ---


def test_the_dry_run_shows_each_change_as_old_to_new_with_dates_as_dates(subadmin_client, leader):
    leader.valid_until = today() + timedelta(days=10)
    leader.save()
    later = today() + timedelta(days=400)
    row = {"username": "li.shuji", "valid_until": later.isoformat(), "phone": "0374-7654321"}

    cells = preview_cells(dry_run(subadmin_client, row))["第 2 行"]

    old = (today() + timedelta(days=10)).isoformat()
    assert cells["订阅截止日期"] == f"{old} → {later.isoformat()}"
    assert cells["办公电话"] == "0374-1234567 → 0374-7654321"
    assert cells["职务"] == "书记"  # unchanged: shown as it is
    assert cells["操作"] == "更新"


def test_an_excel_date_cell_is_read_as_a_date(subadmin_client, leader):
    later = today() + timedelta(days=400)
    cells = preview_cells(dry_run(subadmin_client, {"username": "li.shuji", "valid_until": later}))
    old = leader.valid_until.isoformat()
    assert cells["第 2 行"]["订阅截止日期"] == f"{old} → {later.isoformat()}"


# --- changes that could cut a reader off need their own tick ---

RISKY_ROWS = {
    "ends the subscription": (
        {"valid_until": lambda: (today() - timedelta(days=1)).isoformat()},
        "订阅截止日期：{until} → {yesterday}（订阅将立即结束）",
    ),
    "shortens the subscription": (
        {"valid_until": lambda: (today() + timedelta(days=20)).isoformat()},
        "订阅截止日期：{until} → {in20}（订阅期缩短）",
    ),
    "starts later": (
        {"valid_from": lambda: (today() + timedelta(days=5)).isoformat()},
        "订阅开始日期：{since} → {in5}（在此之前不能阅读）",
    ),
    "changes the kind": ({"kind": lambda: "企业"}, "订户类型：领导 → 企业"),
    "turns the e-mail off": ({"notify_by_email": lambda: "否"}, "邮件通知：是 → 否"),
}


@pytest.mark.parametrize("case", list(RISKY_ROWS))
def test_a_risky_row_is_flagged_and_needs_its_own_tick(subadmin_client, leader, case):
    values, message = RISKY_ROWS[case]
    row = {"username": "li.shuji", **{key: make() for key, make in values.items()}}
    expected = "账号李书记（li.shuji）的" + message.format(
        until=leader.valid_until.isoformat(),
        since=leader.valid_from.isoformat(),
        in5=(today() + timedelta(days=5)).isoformat(),
        yesterday=(today() - timedelta(days=1)).isoformat(),
        in20=(today() + timedelta(days=20)).isoformat(),
    )

    preview = dry_run(subadmin_client, row)

    page = text(preview)
    assert "以下订户的订阅期、订户类型或邮件通知将被更改" in page
    assert expected in page
    assert f"须确认：{expected}" in preview_cells(preview)["第 2 行"]["操作"]
    assert RISKY_LABEL in page
    before = Subscriber.objects.values().get(pk=leader.pk)

    # Without the tick nothing is imported, and the page says why and offers the tick again.
    refused = confirm(subadmin_client, preview)
    assert refused.status_code == 200
    page = text(refused)
    assert "没有导入任何数据：此文件会缩短或结束订阅、更改订户类型或关闭邮件通知" in page
    assert expected in page and RISKY_LABEL in page
    assert Subscriber.objects.values().get(pk=leader.pk) == before

    # With it, the same file imports, and the change is reported.
    done = confirm(subadmin_client, refused, confirm_risky_changes="on")
    assert done.status_code == 302
    assert Subscriber.objects.values().get(pk=leader.pk) != before
    assert expected in text(subadmin_client.get(done["Location"]))


def test_other_rows_of_a_refused_file_are_not_imported_either(subadmin_client, leader):
    risky = {"username": "li.shuji", "notify_by_email": "否"}
    newcomer = {
        "username": "new.one",
        "full_name": "新读者",
        "kind": "企业",
        "organization": "某公司",
        "region": "魏都区",
        "valid_until": "2099-12-31",
    }
    preview = dry_run(subadmin_client, newcomer, risky)
    confirm(subadmin_client, preview)
    assert not Subscriber.objects.filter(user__username="new.one").exists()


def test_both_ticks_are_needed_when_a_file_needs_both(subadmin_client, leader):
    row = {"username": "li.shuji", "email": "new.li@example.com", "kind": "企业"}
    preview = dry_run(subadmin_client, row)

    only_login = confirm(subadmin_client, preview, confirm_identity_changes="on")

    assert only_login.status_code == 200
    assert RISKY_LABEL in text(only_login)
    leader.refresh_from_db()
    assert (leader.kind, leader.user.email) == (Subscriber.Kind.LEADERSHIP, "li@example.com")
    done = confirm(
        subadmin_client, only_login, confirm_identity_changes="on", confirm_risky_changes="on"
    )
    assert done.status_code == 302
    leader.refresh_from_db()
    leader.user.refresh_from_db()
    assert (leader.kind, leader.user.email) == (Subscriber.Kind.ENTERPRISE, "new.li@example.com")


@pytest.mark.parametrize(
    "values",
    [
        {"valid_until": "2099-12-31"},  # extends
        {"notify_by_email": "是", "kind": "领导"},  # as it is
        {"valid_from": "2020-01-01"},  # starts earlier
    ],
    ids=["extends", "unchanged", "starts-earlier"],
)
def test_harmless_rows_need_no_tick(subadmin_client, leader, values):
    preview = dry_run(subadmin_client, {"username": "li.shuji", **values})
    assert "须确认：" not in text(preview)
    assert RISKY_LABEL not in text(preview)
    assert confirm(subadmin_client, preview).status_code == 302


def test_an_expired_subscription_moved_is_not_flagged(subadmin_client, leader):
    leader.valid_from = today() - timedelta(days=400)
    leader.valid_until = today() - timedelta(days=40)
    leader.save()
    row = {"username": "li.shuji", "valid_until": (today() - timedelta(days=50)).isoformat()}
    assert "须确认：" not in text(dry_run(subadmin_client, row))
