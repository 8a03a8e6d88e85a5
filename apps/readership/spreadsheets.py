"""The readership of an issue as an Excel file."""

from django.utils import timezone
from openpyxl import Workbook

from apps.core.spreadsheets import append_row
from apps.subscribers.spreadsheets import workbook_bytes


def readership_workbook(issue, stats) -> bytes:
    """The readership of one issue: a summary sheet and the leaders × articles grid.

    Titles, names and organizations are typed by people: every row goes through
    `append_row`, so that none of them opens as a formula.
    """
    workbook = Workbook()
    summary = workbook.active
    summary.title = "概况"
    append_row(summary, [str(issue), f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}"])
    append_row(summary, ["阅读人数", stats["readers"], "有效订户", stats["audience"]])
    append_row(summary, [])
    append_row(summary, ["文章", "阅读人数"])
    for article, readers in stats["articles"]:
        append_row(summary, [article.title, readers])
    append_row(summary, [])
    append_row(summary, ["订户类型", "阅读人数"])
    for row in stats["by_kind"]:
        append_row(summary, list(row))
    append_row(summary, [])
    append_row(summary, ["地区", "阅读人数"])
    for row in stats["by_region"]:
        append_row(summary, list(row))
    append_row(summary, [])
    append_row(summary, ["来源渠道", "阅读人数"])
    for row in stats["by_channel"]:
        append_row(summary, list(row))

    grid = workbook.create_sheet("领导阅读情况")
    append_row(grid, ["姓名", "单位", "职务", *[article.title for article, _ in stats["articles"]]])
    for leader, cells in stats["grid"]:
        marks = ["已读" if read else "未读" for _, read in cells]
        name = leader.user.get_full_name() or leader.user.username
        append_row(grid, [name, leader.organization, leader.position, *marks])
    return workbook_bytes(workbook)
