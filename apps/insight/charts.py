"""The report's charts, drawn on the server as SVG by Apache ECharts under Node.

Python describes each chart as an ECharts option (JSON: no functions, so labels use ECharts'
string templates); one Node process (render_charts.js) draws all of a report's charts with the
vendored static/vendor/echarts/echarts.min.js, the same library the dashboard draws with in the
browser. The SVG goes inline into the PDF's HTML.

Node is an outside program: if it is missing, fails, or takes longer than
settings.INSIGHT_CHART_TIMEOUT, `render` returns None and the PDF is made without charts (and
says so), never an error page.
"""

import json
import logging
import os
import subprocess
from pathlib import Path

from django.conf import settings

from apps.insight import figures
from apps.insight.report import Report

logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).resolve().parent / "render_charts.js"
ECHARTS = Path(settings.BASE_DIR) / "static" / "vendor" / "echarts" / "echarts.min.js"

# A4's text width (170 mm) at 96 px to the inch is 642 px: drawn at that size, the charts'
# text prints at the size it was set in.
WIDTH = 640
HEIGHT = 300
FONT = "Noto Sans CJK SC"
LABEL_LENGTH = 16  # characters of an article title on the top articles' axis


def _base(**option) -> dict:
    return {
        "textStyle": {"fontFamily": FONT, "fontSize": 11},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        **option,
    }


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


def _percent(value: float | None):
    return None if value is None else round(value * 100, 1)


def published_chart(report: Report) -> dict:
    """Articles by industry: horizontal bars, as many rows as industries."""
    rows = [(industry.name, n) for industry, n in report.published["by_industry"]]
    return {
        "width": WIDTH,
        "height": 60 + 22 * max(len(rows), 1),
        "option": _base(
            grid={"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
            xAxis={"type": "value", "minInterval": 1},
            yAxis={"type": "category", "inverse": True, "data": [name for name, _ in rows]},
            series=[
                {
                    "type": "bar",
                    "name": "文章数",
                    "data": [n for _, n in rows],
                    "label": {"show": True, "position": "right"},
                    "barMaxWidth": 16,
                }
            ],
        ),
    }


def readers_chart(report: Report) -> dict:
    """Eligible and active readers by region: pairs of bars."""
    rows = report.readers["by_region"]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "option": _base(
            legend={"top": 0},
            xAxis={"type": "category", "data": [label for label, _, _ in rows]},
            yAxis={"type": "value", "minInterval": 1},
            series=[
                {
                    "type": "bar",
                    "name": "有效订户",
                    "data": [eligible for _, eligible, _ in rows],
                    "label": {"show": True, "position": "top"},
                },
                {
                    "type": "bar",
                    "name": "活跃读者",
                    "data": [active for _, _, active in rows],
                    "label": {"show": True, "position": "top"},
                },
            ],
        ),
    }


def reach_chart(report: Report) -> dict:
    """Each issue's share of its readers reached within 1, 3 and 7 days: lines, in percent."""
    issues = [row.issue for row in report.reach]
    several_years = len({issue.year for issue in issues}) > 1
    labels = [
        f"{issue.year % 100}/{issue.number}期" if several_years else f"第{issue.number}期"
        for issue in issues
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "option": _base(
            legend={"top": 0},
            xAxis={
                "type": "category",
                "data": labels,
                "axisLabel": {"rotate": 45 if len(labels) > 12 else 0},
            },
            yAxis={"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            series=[
                {
                    "type": "line",
                    "name": f"{days}天内到达率",
                    "data": [_percent(row.share(days)) for row in report.reach],
                    "connectNulls": False,
                }
                for days in figures.REACH_DAYS
            ],
        ),
    }


def articles_chart(report: Report) -> dict:
    rows = report.top_articles
    return {
        "width": WIDTH,
        "height": 60 + 24 * max(len(rows), 1),
        "option": _base(
            grid={"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
            xAxis={"type": "value", "minInterval": 1},
            yAxis={
                "type": "category",
                "inverse": True,
                "data": [_short(row["title"]) for row in rows],
            },
            series=[
                {
                    "type": "bar",
                    "name": "读者人数",
                    "data": [row["readers"] for row in rows],
                    "label": {"show": True, "position": "right"},
                    "barMaxWidth": 16,
                }
            ],
        ),
    }


def feedback_chart(report: Report) -> dict:
    rows = report.feedback
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "option": _base(
            legend={"top": 0},
            xAxis={
                "type": "category",
                "data": [f"{row['month'].year % 100}年{row['month'].month}月" for row in rows],
            },
            yAxis={"type": "value", "minInterval": 1},
            series=[
                {"type": "bar", "name": "收到条数", "data": [row["messages"] for row in rows]},
                {
                    "type": "bar",
                    "name": f"{figures.ANSWER_WORKING_DAYS}个工作日内处理",
                    "data": [row["answered_in_time"] for row in rows],
                },
            ],
        ),
    }


CHARTS = {
    "published": published_chart,
    "readers": readers_chart,
    "reach": reach_chart,
    "articles": articles_chart,
    "feedback": feedback_chart,
}


def specs(report: Report) -> dict[str, dict]:
    """The chart of each section that has data, by the section's key."""
    return {
        section.key: CHARTS[section.key](report)
        for section in report.sections
        if section.has_data and section.key in CHARTS
    }


def render(report: Report) -> dict[str, str] | None:
    """Each section's chart as an SVG document, by section key; None if Node could not draw
    them (the report is then printed without charts)."""
    wanted = specs(report)
    if not wanted:
        return {}
    try:
        result = subprocess.run(  # noqa: S603 - our own script, with the configured Node
            [settings.INSIGHT_NODE, str(SCRIPT), str(ECHARTS)],
            input=json.dumps(list(wanted.values()), ensure_ascii=False).encode(),
            capture_output=True,
            timeout=settings.INSIGHT_CHART_TIMEOUT,
            # Node needs nothing of the web process's environment (its secrets included).
            env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("insight report charts: Node did not run: %s", error)
        return None
    if result.returncode != 0:
        logger.warning(
            "insight report charts: Node failed (%s): %s",
            result.returncode,
            result.stderr.decode(errors="replace")[-2000:],
        )
        return None
    try:
        svgs = json.loads(result.stdout)
    except ValueError:
        logger.warning("insight report charts: Node's output is not JSON")
        return None
    if not (
        isinstance(svgs, list)
        and len(svgs) == len(wanted)
        and all(isinstance(svg, str) and svg.startswith("<svg") for svg in svgs)
    ):
        logger.warning("insight report charts: Node's output is not one SVG per chart")
        return None
    return dict(zip(wanted, svgs, strict=True))
