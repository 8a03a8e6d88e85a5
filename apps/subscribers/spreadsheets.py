"""Excel files the subscriber administrators download: the import template, readership."""

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from apps.articles.models import Industry
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS, REQUIRED


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_template() -> bytes:
    """An empty sheet with the Chinese column headers, and a sheet explaining the values."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "订户"
    sheet.append(list(COLUMNS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 16
    guide = workbook.create_sheet("填写说明")
    guide.append(["列", "说明"])
    notes = {
        "username": "登录用户名，不能重复；已存在的用户名将更新该订户",
        "mobile": "11 位手机号码，可用于登录",
        "kind": "、".join(Subscriber.Kind.labels),
        "region": "、".join(Subscriber.Region.labels),
        "industries": "用“、”分隔，可选："
        + "、".join(Industry.objects.values_list("name", flat=True)),
        "valid_from": "如 2025-01-01；留空为今天",
        "valid_until": "如 2025-12-31",
        "notify_by_email": "是 或 否；留空为是",
    }
    for key, column in COLUMNS.items():
        required = "（必填）" if key in REQUIRED else ""
        guide.append([column + required, notes.get(key, "")])
    return _save(workbook)


def readership_workbook(issue, stats) -> bytes:
    """The readership of one issue: a summary sheet and the leaders × articles grid."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "概况"
    summary.append([str(issue), f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}"])
    summary.append(["阅读人数", stats["readers"], "有效订户", stats["audience"]])
    summary.append([])
    summary.append(["文章", "阅读人数"])
    for article, readers in stats["articles"]:
        summary.append([article.title, readers])
    summary.append([])
    summary.append(["订户类型", "阅读人数"])
    for row in stats["by_kind"]:
        summary.append(list(row))
    summary.append([])
    summary.append(["地区", "阅读人数"])
    for row in stats["by_region"]:
        summary.append(list(row))

    grid = workbook.create_sheet("领导阅读情况")
    grid.append(["姓名", "单位", "职务", *[article.title for article, _ in stats["articles"]]])
    for leader, cells in stats["grid"]:
        marks = ["已读" if read else "未读" for _, read in cells]
        name = leader.user.get_full_name() or leader.user.username
        grid.append([name, leader.organization, leader.position, *marks])
    return _save(workbook)
