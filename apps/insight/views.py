"""数据看板: /admin/insight/ (registered by config.admin_site), and each of its tables as an
Excel file (`?download=<table name>`).

Reviewers, subscriber administrators and superusers open it (figures.may_view); only the
latter two see people (figures.may_see_people): for anyone else the tables with people are
never built, so no name reaches the page, its JSON or a download.
"""

from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.insight import figures, tables
from apps.insight.spreadsheets import table_workbook
from apps.subscribers.importing import xlsx_response
from apps.workflow.calendar import parse_month

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
# The tables with people in them, and so for figures.may_see_people only.
PEOPLE_TABLES = {"leaders", "silent"}


def _month(value: str) -> date | None:
    parsed = parse_month(value)
    return None if parsed is None else date(*parsed, 1)


def chosen_months(query) -> tuple[list[date], str | None]:
    """The months of the chooser (`start`, `end`: "2026-01"), or the last 12 with the reason
    why the request's could not be used. A missing end is this month; a missing start, the
    eleventh month before the end."""
    this_month = timezone.localdate().replace(day=1)
    default = figures.last_months(DEFAULT_MONTHS)
    start_text, end_text = query.get("start", "").strip(), query.get("end", "").strip()
    if not start_text and not end_text:
        return default, None
    start, end = _month(start_text), _month(end_text)
    if (start_text and start is None) or (end_text and end is None):
        return default, (
            "月份无效：请使用“2026-01”这样的年-月（2000年至2100年）。已显示最近 12 个月。"
        )
    end = end or this_month
    if end > this_month:
        return default, "结束月份不能晚于本月。已显示最近 12 个月。"
    if start is None:
        start = figures.last_months(DEFAULT_MONTHS, today=end)[0]
    if start > end:
        return default, "开始月份不能晚于结束月份。已显示最近 12 个月。"
    months = figures.months_between(start, end)
    if len(months) > MAX_MONTHS:
        return default, f"所选期间最长 {MAX_MONTHS} 个月。已显示最近 12 个月。"
    return months, None


@require_safe
def dashboard(request):
    """数据看板: reach per issue, channels, interest, feedback and (for 订户管理) people."""
    user = request.user
    if not figures.may_view(user):
        raise PermissionDenied
    sees_people = figures.may_see_people(user)
    months, problem = chosen_months(request.GET)
    wanted = request.GET.get("download")
    if wanted is not None and wanted in PEOPLE_TABLES and not sees_people:
        raise PermissionDenied
    if problem:
        messages.error(request, problem)

    totals = tables.cached_totals(months)
    feedback_table, feedback_chart, answered_share = tables.feedback(months)
    named = {**totals.tables, "feedback": feedback_table}
    if sees_people:
        named.update((table.name, table) for table in tables.people(totals.leader_issues))
    period_label = f"{tables.month_label(months[0])}至{tables.month_label(months[-1])}"

    if wanted is not None and not problem:
        table = named.get(wanted)
        if table is not None:
            subtitle = f"统计期间：{period_label}" if table.period else ""
            filename = f"数据看板-{table.title}"
            if table.period:
                filename += f"-{months[0]:%Y%m}-{months[-1]:%Y%m}"
            return xlsx_response(table_workbook(table, subtitle), f"{filename}.xlsx")
        messages.error(request, "没有这个表格，无法下载。请使用表格下方的“下载 Excel”链接。")

    charts = [*totals.charts, *([feedback_chart] if feedback_chart else [])]
    period_query = f"start={months[0]:%Y-%m}&end={months[-1]:%Y-%m}"
    context = {
        **admin.site.each_context(request),
        "title": "数据看板",
        "sees_people": sees_people,
        "tables": named,
        "chart_names": {chart.table for chart in charts},
        "chart_data": {"charts": [chart.as_json() for chart in charts]},
        "latest": {
            **totals.latest,
            "share_text": tables.share_text(totals.latest.get("share")),
            "average_text": tables.share_text(totals.latest.get("average")),
        }
        if totals.latest
        else None,
        "answered_text": tables.share_text(answered_share),
        "start": f"{months[0]:%Y-%m}",
        "end": f"{months[-1]:%Y-%m}",
        "period_label": period_label,
        "period_query": period_query,
        "as_of": tables.rollups_as_of(),
        "this_month": f"{timezone.localdate():%Y-%m}",
    }
    return TemplateResponse(request, "admin/insight/dashboard.html", context)
