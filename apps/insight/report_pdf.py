"""The work report as a PDF: the print template with each section's chart as inline SVG,
rendered by WeasyPrint with the system's Noto CJK fonts (as the issue PDF, apps.reader.printing).

The HTML is given to WeasyPrint only, never served; WeasyPrint may load nothing from outside
(its stylesheet is read from disk), so nothing in a title typed by someone can fetch anything.
"""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.insight import charts
from apps.insight.report import Report

TEMPLATE = "admin/insight/report_print.html"
STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "insight-report-print.css"
CHARTS_UNAVAILABLE = "图表暂不可用"


def print_html(report: Report) -> str:
    """The HTML WeasyPrint lays out: the report's sections, each with its chart if drawn."""
    svgs = charts.render(report)
    sections = [
        {
            "section": section,
            # SVG written by ECharts from our own options; it escapes the text it holds.
            "chart": mark_safe(svgs[section.key]) if svgs and section.key in svgs else None,  # noqa: S308
        }
        for section in report.sections
    ]
    return render_to_string(
        TEMPLATE,
        {
            "report": report,
            "sections": sections,
            "charts_unavailable": svgs is None,
            "charts_unavailable_note": CHARTS_UNAVAILABLE,
            "publication_publisher": settings.PUBLICATION_PUBLISHER,
        },
    )


def render_pdf(report: Report) -> bytes:
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=print_html(report), url_fetcher=_no_fetching()).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))]
    )


def _weasyprint():
    import weasyprint  # imported here: only the PDF needs it
    from PIL import ImageFile

    # Importing WeasyPrint tells Pillow to accept truncated images, for the whole process;
    # uploads must stay strict (apps.core.images), as apps.reader.printing keeps them.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def _no_fetching():
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"不加载外部资源：{url}")

    return NoFetching()
