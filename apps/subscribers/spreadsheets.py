"""The Excel template subscriber administrators fill in to import subscribers."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from apps.articles.models import Industry
from apps.core.spreadsheets import append_row
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import CLEAR, CLEARABLE, COLUMNS, REQUIRED


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_template() -> bytes:
    """An empty sheet with the Chinese column headers, and a sheet explaining the values.

    Like every file we write, its rows go through `append_row` (no cell opens as a formula).
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "订户"
    append_row(sheet, COLUMNS.values())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 16
    guide = workbook.create_sheet("填写说明")
    clearable = "、".join(COLUMNS[key] for key in CLEARABLE)
    append_row(
        guide,
        [
            "更新已有订户",
            "用户名已存在的行更新该订户：留空的单元格保持原值不变，只改填了内容的列；"
            f"要清空某一项，请在单元格中填写“{CLEAR}”（可清空：{clearable}）。"
            "会缩短或结束订阅、更改订户类型、关闭邮件通知或更改登录邮箱/手机号的行，"
            "导入时须另行勾选确认。",
        ],
    )
    append_row(guide, [])
    append_row(guide, ["列", "说明"])
    notes = {
        "username": "登录用户名，不能重复；已存在的用户名将更新该订户",
        "mobile": "11 位手机号码，可用于登录",
        "kind": "、".join(Subscriber.Kind.labels),
        "region": "、".join(Subscriber.Region.labels),
        "industries": "用“、”分隔，可选："
        + "、".join(Industry.objects.values_list("name", flat=True)),
        "valid_from": "如 2025-01-01；新订户留空为今天",
        "valid_until": "如 2025-12-31",
        "notify_by_email": "是 或 否；新订户留空为是",
        "wecom_userid": "企业微信通讯录中成员的账号，可不填；"
        "填写后，订户在企业微信中打开快报链接即可直接阅读",
    }
    for key, column in COLUMNS.items():
        required = "（新订户必填）" if key in REQUIRED else ""
        append_row(guide, [column + required, notes.get(key, "")])
    return workbook_bytes(workbook)
