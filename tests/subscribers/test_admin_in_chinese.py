"""The subscriber administrator's screens in Chinese (issue 19, part 4): the export page and
its file, every import error, the login locks and the admin index's hidden headers."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import html
from openpyxl import Workbook, load_workbook

from apps.accounts.models import LoginLockout
from apps.subscribers.resources import COLUMNS
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:subscribers_subscriber_export")
IMPORT_URL = reverse("admin:subscribers_subscriber_import")


def page_text(response):
    document = html.fromstring(response.content.decode())
    for element in document.xpath("//script|//style"):
        element.drop_tree()
    return " ".join(document.text_content().split())


def export(client, fmt):
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}
    return client.post(EXPORT_URL, {"format": fmt, "resource": "0", **fields})


def test_the_export_page_is_in_chinese(subadmin_client):
    response = subadmin_client.get(EXPORT_URL)
    page = page_text(response)
    assert "全选" in page and "Select all" not in page
    labels = [
        label.text_content().strip()
        for label in html.fromstring(response.content.decode()).xpath(
            '//div[@class="selectable-field-export-row"]/label'
        )
    ]
    assert labels == list(COLUMNS.values())  # "用户名", not "Username (用户名)"
    options = html.fromstring(response.content.decode()).xpath('//select[@name="format"]/option')
    assert [option.text_content() for option in options][1:] == [
        "Excel 工作簿（.xlsx）",
        "CSV 文本（.csv，UTF-8 编码）",
    ]
    assert "文件格式" in page
    button = html.fromstring(response.content.decode()).xpath('//input[@type="submit"]/@value')
    assert button == ["导出"]


def test_the_select_all_box_works_under_the_back_offices_csp(subadmin_client):
    """script-src 'self' runs no inline handler: 全选 is wired by a static script."""
    document = html.fromstring(subadmin_client.get(EXPORT_URL).content.decode())
    assert not document.xpath("//*[@*[starts-with(name(), 'on')]]")
    scripts = document.xpath("//script/@src")
    assert any(src.endswith("admin-extra/export-select-all.js") for src in scripts)
    assert any("export_selectable_fields" in src for src in scripts)


def test_an_export_with_no_column_says_so_in_chinese(subadmin_client):
    response = subadmin_client.post(EXPORT_URL, {"format": "0", "resource": "0"})
    page = page_text(response)
    assert "请至少选择一列导出。" in page
    assert "Select at least" not in page


@pytest.mark.parametrize(("fmt", "extension"), [("0", "xlsx"), ("1", "csv")])
def test_the_exported_file_is_named_in_chinese(subadmin_client, fmt, extension):
    SubscriberFactory(user__username="exported")
    response = export(subadmin_client, fmt)
    name = f"订户-{timezone.localdate().isoformat()}.{extension}"
    quoted = "%E8%AE%A2%E6%88%B7"  # 订户, as RFC 6266's filename* writes it
    assert response["Content-Disposition"] == (
        f"attachment; filename*=UTF-8''{quoted}-{timezone.localdate().isoformat()}.{extension}"
    )
    assert "Subscriber" not in response["Content-Disposition"]
    assert name.startswith("订户-")


def test_the_exported_sheet_is_named_in_chinese(subadmin_client):
    SubscriberFactory(user__username="exported")
    workbook = load_workbook(io.BytesIO(export(subadmin_client, "0").content))
    assert workbook.sheetnames == ["订户"]


def upload(client, content, *, fmt="0", filename="订户.xlsx"):
    data = {"import_file": SimpleUploadedFile(filename, content), "format": fmt, "resource": "0"}
    return page_text(client.post(IMPORT_URL, data))


def empty_workbook():
    book = Workbook()
    book.active.append(list(COLUMNS.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"not a workbook", "0", "无法读取这个文件：它不是所选格式的有效文件，或已损坏。"),
        (b"\xff\xfe\x00 not utf-8", "1", "无法读取这个文件：它不是所选格式的有效文件，或已损坏。"),
        (None, "0", "文件中没有可导入的数据。请确认第 1 行是模板的表头，从第 2 行起是订户。"),
    ],
    ids=["bad-xlsx", "bad-csv", "no-rows"],
)
def test_every_import_error_is_in_chinese(subadmin_client, content, fmt, message):
    page = upload(subadmin_client, content or empty_workbook(), fmt=fmt)
    assert message in page
    for english in ("encountered", "BadZipFile", "UnicodeDecodeError", "No valid data", "Ensure"):
        assert english not in page


def test_an_import_without_a_file_says_so_in_chinese(subadmin_client):
    page = page_text(subadmin_client.post(IMPORT_URL, {"format": "0", "resource": "0"}))
    assert "请选择要导入的文件。" in page
    assert "要导入的文件" in page and "File to import" not in page


def test_the_import_page_is_in_chinese(subadmin_client):
    response = subadmin_client.get(IMPORT_URL)
    page = page_text(response)
    assert "要导入的文件" in page and "文件格式" in page
    assert html.fromstring(response.content.decode()).xpath('//input[@type="submit"]/@value') == [
        "上传并预览"
    ]
    assert "Submit" not in page and "File to import" not in page


def test_the_login_locks_are_listed_in_chinese(subadmin_client, enterprise):
    LoginLockout.objects.create(
        username=enterprise.username, ip_address="10.0.0.1", failures_since_start=10
    )
    response = subadmin_client.get(reverse("admin:accounts_loginlockout_changelist"))
    headers = [
        " ".join(th.text_content().split())
        for th in html.fromstring(response.content.decode()).xpath(
            "//table[@id='result_list']/thead//th"
        )
    ]
    assert headers[1:] == ["登录名", "IP 地址", "失败次数", "最近一次失败的时间", "已锁定"]
    page = page_text(response)
    for english in ("Username", "IP Address", "Attempt Time", "Attempted Access"):
        assert english not in page
    lock = LoginLockout.objects.get()
    change = page_text(
        subadmin_client.get(reverse("admin:accounts_loginlockout_change", args=[lock.pk]))
    )
    assert "浏览器标识" in change and "User Agent" not in change
    assert f"{enterprise.username}（10.0.0.1）" in change


def test_the_index_hidden_table_headers_are_in_chinese(subadmin_client):
    response = subadmin_client.get(reverse("admin:index"))
    document = html.fromstring(response.content.decode())
    headers = {
        " ".join(th.text_content().split())
        for th in document.xpath('//thead[contains(@class, "visually-hidden")]//th')
    }
    assert headers == {"数据类别", "添加链接", "修改或查看列表链接"}
    assert "Model name" not in response.content.decode()


def test_the_confirmation_address_opened_directly_leads_back_to_the_upload(subadmin_client):
    process = reverse("admin:subscribers_subscriber_process_import")
    response = subadmin_client.get(process)
    assert response.status_code == 302
    assert response["Location"] == IMPORT_URL
    assert "请先上传文件并预览" in page_text(subadmin_client.get(IMPORT_URL))
