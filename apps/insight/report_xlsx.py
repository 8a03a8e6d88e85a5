"""The work report as an Excel workbook: an overview sheet, then one sheet per table.

Article titles and the reviewer's summary are typed by people: every row goes through
`append_row` (apps.core.spreadsheets), so that none of them opens as a formula. Shares are
stored as numbers shown as percentages, so that they can be computed with.
"""

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from apps.core.spreadsheets import append_row
from apps.insight.report import Report
from apps.subscribers.spreadsheets import workbook_bytes

BOLD = Font(bold=True)


def report_workbook(report: Report) -> bytes:
    workbook = Workbook()
    overview = workbook.active
    overview.title = "概述"
    append_row(overview, [report.title])
    overview["A1"].font = Font(bold=True, size=14)
    append_row(overview, ["统计期间", report.period.label])
    append_row(overview, ["开始日期", report.period.start])
    append_row(overview, ["结束日期", report.period.end])
    append_row(overview, ["生成时间", f"{timezone.localtime(report.generated_at):%Y-%m-%d %H:%M}"])
    append_row(overview, [])
    for index, paragraph in enumerate(report.summary.split("\n")):
        append_row(overview, ["概述" if index == 0 else "", paragraph])
    append_row(overview, [])
    for section in report.sections:
        append_row(overview, [section.title, section.lead])
    for note in report.notes:
        append_row(overview, ["说明", note])
    for row in overview.iter_rows(min_row=2, max_col=1):
        row[0].font = BOLD
    for (cell,) in overview.iter_rows(min_row=3, max_row=4, min_col=2, max_col=2):
        cell.number_format = "yyyy-mm-dd"
    for (cell,) in overview.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    overview.column_dimensions["A"].width = 16
    overview.column_dimensions["B"].width = 80

    for section in report.sections:
        for table in section.tables:
            sheet = workbook.create_sheet(table.sheet)
            append_row(sheet, [column.title for column in table.columns])
            for cell in sheet[1]:
                cell.font = BOLD
            for row in table.rows:
                append_row(sheet, row)
            for index, column in enumerate(table.columns, 1):
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = 40 if column.title == "标题" else 14
                if column.kind == "share":
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.number_format = "0.0%"
            if table.note:
                append_row(sheet, [])
                append_row(sheet, [f"注：{table.note}"])
            sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)
