"""The import's dry run as the subscriber administrator reads it: Chinese that makes sense,
each problem written beside its row, empty cells empty, rows numbered as Excel numbers them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html
from openpyxl import Workbook

from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:subscribers_subscriber_import")
HEADERS = tuple(COLUMNS.values())


def subscriber_row(username, mobile, **values):
    row = {
        "username": username,
        "full_name": "李书记",
        "mobile": mobile,
        "email": f"{username}@example.com",
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
    # Cells not named stay empty in the sheet (openpyxl writes no value for None).
    return [row.get(key) for key in COLUMNS]


def workbook(*rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "订户.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def dry_run(client, upload):
    response = client.post(IMPORT_URL, {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def text(element):
    return " ".join(element.text_content().split())


def rows_by_number(page):
    """Each listed row of the preview table: its row label, then the text of each cell."""
    table = page.xpath('//table[contains(@class, "import-preview")]')[0]
    headers = [text(th) for th in table.xpath("thead/tr/th")]
    return headers, {
        text(tr.xpath("th")[0]): dict(
            zip(headers[1:], [text(td) for td in tr.xpath("td")], strict=True)
        )
        for tr in table.xpath("tbody/tr")
    }


def test_invalid_rows_are_listed_with_their_excel_row_and_problems_in_plain_sight(
    client, subadmin_client
):
    upload = workbook(
        subscriber_row("good.one", "13700000001"),  # Excel row 2
        subscriber_row("good.two", "13700000002"),  # Excel row 3
        subscriber_row("bad.three", "137", email=None, region="许昌县"),  # Excel row 4
    )
    page = dry_run(client, upload)
    content = text(page)

    assert "以下行的数据有误，没有导入任何数据" in content
    assert "某些行验数据证失败" not in content
    headers, rows = rows_by_number(page)
    assert headers[:2] == ["行号", "问题"]
    assert list(rows) == ["第 4 行"]
    bad = rows["第 4 行"]
    # The messages are text in the row itself, not a tooltip behind a count.
    assert "手机号码：手机号码“137”格式不正确，应为 11 位数字。" in bad["问题"]
    assert "所属地区：“许昌县”不是有效的地区" in bad["问题"]
    assert not page.xpath('//*[contains(@class, "validation-error-container")]')
    # Empty cells are empty.
    assert bad["电子邮箱"] == ""
    assert bad["办公电话"] == "" and bad["备注"] == ""
    assert "None" not in content
    assert bad["用户名"] == "bad.three"
    assert not Subscriber.objects.exists()


def test_a_file_refused_as_a_whole_says_why_without_a_traceback(client, subadmin_client):
    upload = workbook(["某人", "某单位"], headers=["姓名", "单位"])
    content = text(dry_run(client, upload))
    assert "导入失败，没有导入任何数据" in content
    assert "文件缺少以下列：用户名、订户类型、所属地区、订阅截止日期。请使用下载的模板。" in content
    assert "Traceback" not in content
    assert "['" not in content  # not the repr of the error's message list
    assert "has no attribute" not in content
    assert not Subscriber.objects.exists()
