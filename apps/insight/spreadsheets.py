"""One table of the dashboard as an Excel file (`/admin/insight/?download=<table name>`)."""

from datetime import date, datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from apps.core.spreadsheets import append_row
from apps.insight.tables import COUNT, MARK, MOMENT, SHARE, Table
from apps.subscribers.spreadsheets import workbook_bytes

SHARE_FORMAT = "0.0%"


def _cell(value, kind):
    if value is None:
        return None
    if kind == MARK:
        return "已读" if value else "未读"
    if kind == MOMENT and isinstance(value, datetime):
        # Excel keeps no time zone: the local time the page shows.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def table_workbook(table: Table, subtitle: str = "") -> bytes:
    """The table under a header row; shares as numbers formatted as percentages.

    Article titles, industry names, names and organizations are typed by people: every row
    goes through `append_row`, so that none of them opens as a formula.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    append_row(sheet, [column.label for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        append_row(
            sheet,
            [_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)],
        )
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 12 if column.kind in (COUNT, SHARE, MARK) else 20
        for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell = cells[0]
            if column.kind == SHARE:
                cell.number_format = SHARE_FORMAT
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    # What the figures mean, on a sheet of its own: the table stays a plain table to sort,
    # filter or pivot.
    about = workbook.create_sheet("说明")
    for text in (table.title, subtitle, table.note):
        if text:
            append_row(about, [text])
    append_row(about, [f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}"])
    about.column_dimensions["A"].width = 80
    return workbook_bytes(workbook)
