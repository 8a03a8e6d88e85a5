"""The readership of an issue as an Excel file."""

from django.utils import timezone
from openpyxl import Workbook

from apps.subscribers.spreadsheets import workbook_bytes


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
    return workbook_bytes(workbook)
