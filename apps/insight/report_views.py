"""工作报告: /admin/insight/report/ (registered by config.admin_site).

    GET                                   the page, for last month
    GET  ?start=&end=                     the page for that period, the summary generated
    GET  ?start=&end=&format=pdf|xlsx     the download, with the generated summary
    POST start, end, format, summary      the download, with the reviewer's summary

Who: figures.may_view (审核, 订户管理, superusers); other staff get 403. Bad input (a missing or
invalid date, end before start, more than 366 days, an unknown format) is answered on the page
in Chinese, and nothing is downloaded.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from apps.insight import figures, report
from apps.insight.report_pdf import render_pdf
from apps.insight.report_xlsx import report_workbook

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
DATE_MESSAGE = "日期无效：请使用“2025-01-31”这样的年-月-日。"


class ReportForm(forms.Form):
    start = forms.DateField(
        label="开始日期",
        input_formats=["%Y-%m-%d"],
        error_messages={"required": "请填写开始日期。", "invalid": DATE_MESSAGE},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label="结束日期",
        input_formats=["%Y-%m-%d"],
        error_messages={"required": "请填写结束日期。", "invalid": DATE_MESSAGE},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    format = forms.ChoiceField(
        label="格式",
        required=False,
        choices=[("", "页面"), ("pdf", "PDF"), ("xlsx", "Excel")],
        error_messages={"invalid_choice": "不支持该格式：请选择 PDF 或 Excel。"},
    )
    summary = forms.CharField(
        label="概述",
        required=False,
        max_length=report.SUMMARY_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        error_messages={
            "max_length": f"概述不能超过{report.SUMMARY_MAX_LENGTH}个字符（当前%(show_value)d个）。"
        },
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and (problem := report.period_error(start, end)):
            raise forms.ValidationError(problem)
        return data


@require_http_methods(["GET", "HEAD", "POST"])
def report_view(request):
    if not figures.may_view(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    asked = any(name in data for name in ("start", "end", "format"))
    form = ReportForm(data if asked else None)
    if not asked:
        period = report.default_period()
    elif form.is_valid():
        period = report.Period(form.cleaned_data["start"], form.cleaned_data["end"])
        chosen = form.cleaned_data["format"]
        if chosen:
            # A link (GET) downloads the report as generated; the page posts the edited text.
            typed = form.cleaned_data["summary"] if request.method == "POST" else None
            return download(report.with_summary(report.build(period), typed), chosen)
    else:
        return page(request, form, None, status=400)
    form = ReportForm(initial={"start": period.start, "end": period.end})
    built = report.build(period)
    form.initial["summary"] = built.summary
    return page(request, form, built)


def download(built: report.Report, chosen: str) -> HttpResponse:
    content_type, extension = FORMATS[chosen]
    content = render_pdf(built) if chosen == "pdf" else report_workbook(built)
    filename = f"工作报告_{built.period.slug}.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def page(request, form, built, status=200):
    context = {
        **admin.site.each_context(request),
        "title": "工作报告",
        "form": form,
        "report": built,
        "presets": report.presets(),
        "max_days": report.MAX_DAYS,
    }
    return TemplateResponse(request, "admin/insight/report.html", context, status=status)
