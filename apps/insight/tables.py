"""The dashboard's figures as named tables: the one description of what the page shows, what
its charts draw (the JSON the page's script reads) and what each table's Excel download holds.

Two groups, computed separately because they may be kept for different lengths of time:

- `totals(period)`: counts and shares, with no person in them, which reviewers see too. They
  come from the rollups (apps.insight.models) and the content tables (issue labels, article
  titles, industry names), so a copy is right while Counter.INSIGHT and Counter.CONTENT have
  not moved (see `cached_totals`). The feedback figures come from the feedback table, which no
  counter watches: they are read at each request (`feedback`, one query).
- `people(issues)`: each leader's reading and the readers who opened nothing in 90 days, for
  subscriber administrators and superusers only (figures.may_see_people). Never cached: the
  grid reads the readings of the last issues, which no counter watches either.

A table's rows are plain values (str, int, float shares from 0 to 1, None where there is no
share, bool marks, dates), so the page, the JSON and the workbook format them each their way.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import caches
from django.utils import timezone

from apps.core.revisions import Counter, read, valid_until
from apps.core.via import Source
from apps.insight import figures
from apps.insight.models import KINDS, REGIONS, RollupMark

# A cached copy is checked against the counters at every use; this only bounds its memory.
CACHE_TIMEOUT = 60 * 60
CACHE = "local"  # per process: every use is checked against the database (apps.core.revisions)

TEXT, COUNT, SHARE, MARK, DAY, MOMENT = "text", "count", "share", "mark", "date", "datetime"

# Readers to follow up the page lists; the download lists them all.
SILENT_SHOWN = 200

# Channels in the order the stacked bars show them: the links first, then those none brought.
CHANNELS = [Source.EMAIL, Source.WECOM, Source.DINGTALK, Source.FEISHU, Source.DIRECT]


@dataclass
class Column:
    label: str
    kind: str = TEXT


@dataclass
class Table:
    """One table of the page, and the file `?download=<name>` gives."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list]
    note: str = ""
    people: bool = False  # holds people: never built for a viewer who may not see them
    period: bool = False  # depends on the chosen months (the download keeps them)
    shown: int | None = None  # rows the page shows at most (the download has them all)

    def display_rows(self) -> list[list[tuple[str, str]]]:
        """The rows as the page shows them: (text, CSS class) per cell."""
        return [
            [display(value, column.kind) for value, column in zip(row, self.columns, strict=True)]
            for row in self.rows[: self.shown]
        ]

    @property
    def cut(self) -> bool:
        return self.shown is not None and len(self.rows) > self.shown


def share_text(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def display(value, kind: str) -> tuple[str, str]:
    if kind == SHARE:
        return share_text(value), "number"
    if kind == COUNT:
        return ("—" if value is None else f"{value:,}"), "number"
    if kind == MARK:
        return ("已读", "mark read") if value else ("未读", "mark unread")
    if kind == DAY:
        return ("—" if value is None else f"{value:%Y-%m-%d}"), "date"
    if kind == MOMENT:
        if value is None:
            return "无记录", "date"
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}", "date"
    return ("" if value is None else str(value)), ""


@dataclass
class Chart:
    """What the page's script draws beside a table (static/insight/insight.js)."""

    table: str  # the table it illustrates, and the id of its container: chart-<table>
    kind: str  # line, stack (stacked bars), bars (horizontal bars), combo (bars + a share line)
    categories: list[str]
    series: list[dict]  # {"name": ..., "data": [...]}; shares in percent
    percent: bool = False
    # A line chart of shares by group may switch between the days within which a reader
    # counts as reached: {"1": series, "3": series, "7": series}, and the one shown first.
    by_days: dict[str, list[dict]] | None = None
    days: str = ""

    def as_json(self) -> dict:
        data = {
            "table": self.table,
            "kind": self.kind,
            "categories": self.categories,
            "series": self.series,
            "percent": self.percent,
        }
        if self.by_days is not None:
            data["byDays"] = self.by_days
            data["days"] = self.days
        return data


@dataclass
class Totals:
    """The figures without people, for one period of months."""

    tables: dict[str, Table] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    leader_issues: list = field(default_factory=list)  # the last 6 live issues, oldest first
    latest: dict = field(default_factory=dict)  # the summary above the charts


def percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def issue_label(issue) -> str:
    return f"{issue.year}年第{issue.number}期"


def month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _days_label(days: int) -> str:
    return f"{days}天内"


# --- Totals ---------------------------------------------------------------------------------


def totals(months: list[date]) -> Totals:
    """Every table and chart without people, for `months` (the interest section's period)."""
    result = Totals()
    issues = figures.live_issues()
    rows = figures.reach(issues)
    result.leader_issues = issues[-figures.LEADER_ISSUES :]
    _reach(result, rows)
    for dimension, title, choices in (
        ("kind", "各类读者的到达率", KINDS),
        ("region", "各地区读者的到达率", REGIONS),
    ):
        _reach_by(result, rows, dimension, title, choices)
    _channels(result, rows)
    _interest(result, months)
    return result


def _reach(result: Totals, rows) -> None:
    columns = [
        Column("期刊"),
        Column("上线日期", DAY),
        Column("可阅读人数", COUNT),
        Column("7天内阅读人数", COUNT),
        *[Column(f"{_days_label(days)}到达率", SHARE) for days in figures.REACH_DAYS],
    ]
    table_rows = [
        [
            issue_label(row.issue),
            timezone.localdate(row.issue.went_live_at),
            row.eligible,
            row.reached.get(max(figures.REACH_DAYS), 0),
            *[row.share(days) for days in figures.REACH_DAYS],
        ]
        for row in rows
    ]
    result.tables["reach"] = Table(
        "reach",
        "各期到达率",
        columns,
        table_rows,
        note="到达率：上线后 1、3、7 天内打开本期或其中任一篇文章的读者，占上线时可阅读本期的"
        "订户的比例（最近 24 期）。",
    )
    if rows:
        result.charts.append(
            Chart(
                "reach",
                "line",
                [issue_label(row.issue) for row in rows],
                [
                    {
                        "name": _days_label(days),
                        "data": [percent(row.share(days)) for row in rows],
                    }
                    for days in figures.REACH_DAYS
                ],
                percent=True,
            )
        )
        latest = rows[-1]
        week = max(figures.REACH_DAYS)
        shares = [row.share(week) for row in rows if row.share(week) is not None]
        result.latest = {
            "issue": issue_label(latest.issue),
            "share": latest.share(week),
            "average": sum(shares) / len(shares) if shares else None,
            "issues": len(rows),
        }


def _reach_by(result: Totals, rows, dimension: str, title: str, choices) -> None:
    """The reach of each issue among one kind of reader, or in one region: a row per issue and
    group with readers to reach, and a line per group."""
    name = f"reach_{dimension}"
    label = "读者类型" if dimension == "kind" else "地区"
    groups = [
        (value, text)
        for value, text in choices
        if any(row.eligible_by.get((dimension, value)) for row in rows)
    ]
    table_rows = []
    for row in rows:
        for value, text in groups:
            eligible = row.eligible_by.get((dimension, value), 0)
            if eligible:
                table_rows.append(
                    [
                        issue_label(row.issue),
                        text,
                        eligible,
                        *[row.share_of(dimension, value, days) for days in figures.REACH_DAYS],
                    ]
                )
    columns = [
        Column("期刊"),
        Column(label),
        Column("可阅读人数", COUNT),
        *[Column(f"{_days_label(days)}到达率", SHARE) for days in figures.REACH_DAYS],
    ]
    result.tables[name] = Table(name, title, columns, table_rows)
    if table_rows:
        by_days = {
            str(days): [
                {
                    "name": text,
                    "data": [percent(row.share_of(dimension, value, days)) for row in rows],
                }
                for value, text in groups
            ]
            for days in figures.REACH_DAYS
        }
        week = str(max(figures.REACH_DAYS))
        result.charts.append(
            Chart(
                name,
                "line",
                [issue_label(row.issue) for row in rows],
                by_days[week],
                percent=True,
                by_days=by_days,
                days=week,
            )
        )


def _channels(result: Totals, rows) -> None:
    columns = [
        Column("期刊"),
        *[Column(channel.label, COUNT) for channel in CHANNELS],
        Column("合计", COUNT),
    ]
    table_rows = [
        [
            issue_label(row.issue),
            *[row.channels.get(channel.value, 0) for channel in CHANNELS],
            sum(row.channels.values()),
        ]
        for row in rows
    ]
    result.tables["channels"] = Table(
        "channels",
        "各期读者的来源渠道",
        columns,
        table_rows,
        note="按读者首次打开本期（或其中文章）时所经的链接计：邮件、工作群卡片，或直接访问。",
    )
    if rows:
        result.charts.append(
            Chart(
                "channels",
                "stack",
                [issue_label(row.issue) for row in rows],
                [
                    {
                        "name": channel.label,
                        "data": [row.channels.get(channel.value, 0) for row in rows],
                    }
                    for channel in CHANNELS
                ],
            )
        )


def _interest(result: Totals, months: list[date]) -> None:
    industries = figures.industry_months(months)
    series = industries["series"]
    month_labels = [month_label(month) for month in months]
    result.tables["industries"] = Table(
        "industries",
        "各产业每月阅读量",
        [Column("产业"), *[Column(text, COUNT) for text in month_labels], Column("合计", COUNT)],
        [[item["industry"].name, *item["readings"], item["total"]] for item in series],
        note="阅读量：读者首次打开某产业的文章，按首次打开的月份计（一篇文章属于几个产业时，"
        "各计一次）。",
        period=True,
    )
    if any(item["total"] for item in series):
        result.charts.append(
            Chart(
                "industries",
                "stack",
                month_labels,
                [{"name": item["industry"].name, "data": item["readings"]} for item in series],
            )
        )
    followed = [item for item in series if item["total"]]
    result.tables["followers"] = Table(
        "followers",
        "关注者的阅读占比",
        [
            Column("产业"),
            Column("阅读量", COUNT),
            Column("其中关注该产业的读者", COUNT),
            Column("关注者占比", SHARE),
        ],
        [
            [item["industry"].name, item["total"], item["by_followers"], item["followers_share"]]
            for item in followed
        ],
        note="各产业文章的阅读量中，来自关注该产业的读者的比例。",
        period=True,
    )
    if followed:
        result.charts.append(
            Chart(
                "followers",
                "bars",
                [item["industry"].name for item in followed],
                [
                    {
                        "name": "关注者占比",
                        "data": [percent(item["followers_share"]) for item in followed],
                    }
                ],
                percent=True,
            )
        )
    top = figures.top_articles(months)
    result.tables["top_articles"] = Table(
        "top_articles",
        f"阅读最多的 {figures.TOP_ARTICLES} 篇文章",
        [Column("名次", COUNT), Column("文章"), Column("期刊"), Column("读者人数", COUNT)],
        [
            [place, item["title"], item["issue"], item["readers"]]
            for place, item in enumerate(top, start=1)
        ],
        note="读者人数：所选月份内首次打开该文章的读者。",
        period=True,
    )
    if top:
        result.charts.append(
            Chart(
                "top_articles",
                "bars",
                [item["title"] for item in top],
                [{"name": "读者人数", "data": [item["readers"] for item in top]}],
            )
        )


def feedback(months: list[date]) -> tuple[Table, Chart | None, float | None]:
    """Messages per month and the share answered within 3 working days (read at each request:
    no counter watches the feedback table), with the period's share."""
    rows = figures.feedback_months(months)
    labels = [month_label(row["month"]) for row in rows]
    table = Table(
        "feedback",
        "意见和建议",
        [
            Column("月份"),
            Column("留言数", COUNT),
            Column(f"{figures.ANSWER_WORKING_DAYS}个工作日内处理", COUNT),
            Column("及时处理率", SHARE),
        ],
        [
            [label, row["messages"], row["answered_in_time"], row["share"]]
            for label, row in zip(labels, rows, strict=True)
        ],
        note=f"及时处理：提交后 {figures.ANSWER_WORKING_DAYS} 个工作日内（周一至周五，"
        "不计法定节假日调休）标为已处理。",
        period=True,
    )
    chart = None
    if any(row["messages"] for row in rows):
        chart = Chart(
            "feedback",
            "combo",
            labels,
            [
                {"name": "留言数", "data": [row["messages"] for row in rows]},
                {"name": "及时处理率", "data": [percent(row["share"]) for row in rows]},
            ],
        )
    return table, chart, figures.answered_share(rows)


# --- People (subscriber administrators and superusers) ---------------------------------------


def _name(user) -> str:
    return user.get_full_name() or user.username


def people(issues: list) -> list[Table]:
    """Each current leader's reading of the last issues, and the readers to follow up."""
    grid = figures.leaders_grid(issues)
    leaders = Table(
        "leaders",
        f"领导读者最近 {len(issues)} 期的阅读情况",
        [
            Column("姓名"),
            Column("单位"),
            Column("职务"),
            Column("地区"),
            *[Column(issue_label(issue), MARK) for issue in issues],
            Column("已读期数", COUNT),
        ],
        [
            [
                _name(row["subscriber"].user),
                row["subscriber"].organization,
                row["subscriber"].position,
                row["subscriber"].get_region_display(),
                *[opened for _, opened in row["opened"]],
                row["count"],
            ]
            for row in grid
        ],
        note="已读：打开过该期或其中任一篇文章（按阅读记录实时统计）。",
        people=True,
    )
    silent = Table(
        "silent",
        f"{figures.SILENT_DAYS} 天内未阅读的订户",
        [
            Column("姓名"),
            Column("用户名"),
            Column("订户类型"),
            Column("单位"),
            Column("职务"),
            Column("地区"),
            Column("联系电话"),
            Column("手机"),
            Column("邮箱"),
            Column("最近阅读", MOMENT),
        ],
        [
            [
                _name(subscriber.user),
                subscriber.user.username,
                subscriber.get_kind_display(),
                subscriber.organization,
                subscriber.position,
                subscriber.get_region_display(),
                subscriber.phone,
                subscriber.user.mobile,
                subscriber.user.email,
                getattr(subscriber, "last_read_at", None),
            ]
            for subscriber in figures.silent_readers()
        ],
        note=f"当前有效的订户中，{figures.SILENT_DAYS} 天内没有打开任何一期或文章的读者，"
        "供回访联系。",
        people=True,
        shown=SILENT_SHOWN,
    )
    return [leaders, silent]


# --- The cache ------------------------------------------------------------------------------


def rollups_as_of():
    """Until when the rollups hold the readings (None before the first rebuild): read at each
    request, as the mark is no watched table."""
    mark = RollupMark.objects.filter(pk=1).values_list("read_after", flat=True).first()
    return mark


def cached_totals(months: list[date]) -> Totals:
    """`totals(months)`, from this process's copy while it is still right.

    A copy is kept with the values Counter.INSIGHT (the rollups) and Counter.CONTENT (issues,
    article titles, industries) had before it was computed, and used only while both are the
    same and no scheduled issue has come live since (revisions.valid_until): a rebuild of the
    rollups, a new title or an issue going live makes the next request compute it again.
    """
    # The counters before the rows: a change committed in between makes the copy stale,
    # never a stale copy current.
    now = timezone.now()
    revision = (read(Counter.INSIGHT), read(Counter.CONTENT))
    ends = valid_until(Counter.CONTENT)
    until = None if ends is None else ends.timestamp()
    key = f"insight:totals:{months[0]:%Y-%m}:{months[-1]:%Y-%m}"
    cache = caches[CACHE]
    copy = cache.get(key)
    if (
        isinstance(copy, tuple)
        and len(copy) == 3
        and copy[0] == revision
        and (copy[1] is None or now.timestamp() < copy[1])
    ):
        return copy[2]
    result = totals(months)
    timeout = CACHE_TIMEOUT
    if until is not None:
        timeout = max(1, min(CACHE_TIMEOUT, math.ceil(until - now.timestamp())))
    cache.set(key, (revision, until, result), timeout)
    return result
