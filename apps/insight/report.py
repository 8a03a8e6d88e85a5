"""The work report (工作报告) of a period: what was published, who could read and who read, how
far each issue reached, the most-read articles and the feedback, with a short summary in Chinese.

Everything comes from apps.insight.figures (the rollups and the small tables), never from the
readings, so a year's report costs the same few queries whatever the history. The report holds
totals only: no reader's name, account, organization or contact appears in it.

The same `Report` feeds the page (report_views), the PDF (report_pdf, with charts from charts)
and the workbook (report_xlsx): its sections and their tables are the one description of what
the report says.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from apps.insight import figures
from apps.insight.models import RollupMark

MAX_DAYS = 366
TOP_ARTICLES = 10
SUMMARY_MAX_LENGTH = 3000
# Dates a report may name: a typo such as 0001-01-01 or 9999-12-31 gets a message, not an error.
FIRST_YEAR, LAST_YEAR = 2000, 2100
QUARTERS = ("一", "二", "三", "四")


# --- The period -------------------------------------------------------------------------------


def month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> list[date]:
        return figures.months_between(self.start, self.end)

    @property
    def whole_months(self) -> bool:
        """Whether the period begins on a month's first day and ends on a month's last: the
        monthly figures (active readers, articles read, feedback) then cover it exactly."""
        return self.start.day == 1 and self.end == month_end(self.end)

    @property
    def label(self) -> str:
        start, end = self.start, self.end
        if self.whole_months and start.year == end.year:
            if start.month == 1 and end.month == 12:
                return f"{start.year}年"
            if start.month == end.month:
                return f"{start.year}年{start.month}月"
            if start.month % 3 == 1 and end.month == start.month + 2:
                return f"{start.year}年第{QUARTERS[start.month // 3]}季度"
        return f"{start:%Y}年{start.month}月{start.day}日至{end:%Y}年{end.month}月{end.day}日"

    @property
    def slug(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


def presets(today: date | None = None) -> list[tuple[str, Period]]:
    """The periods the report page offers in one click: months, quarters and years."""
    today = today or timezone.localdate()

    def month(day):
        return Period(day.replace(day=1), month_end(day))

    def quarter(day):
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        return Period(first, month_end(first.replace(month=first.month + 2)))

    def year(number):
        return Period(date(number, 1, 1), date(number, 12, 31))

    this_month, this_quarter = month(today), quarter(today)
    return [
        ("上月", month(this_month.start - timedelta(days=1))),
        ("本月", this_month),
        ("上季度", quarter(this_quarter.start - timedelta(days=1))),
        ("本季度", this_quarter),
        ("去年", year(today.year - 1)),
        ("今年", year(today.year)),
    ]


def default_period(today: date | None = None) -> Period:
    """Last month: the report most often asked for."""
    return presets(today)[0][1]


def period_error(start: date, end: date) -> str | None:
    """Why `start`–`end` cannot be reported on, in Chinese; None if it can."""
    if not (FIRST_YEAR <= start.year <= LAST_YEAR and FIRST_YEAR <= end.year <= LAST_YEAR):
        return f"日期须在{FIRST_YEAR}年至{LAST_YEAR}年之间。"
    if end < start:
        return "结束日期不能早于开始日期。"
    if (end - start).days + 1 > MAX_DAYS:
        return f"报告期间不能超过{MAX_DAYS}天，请缩短期间或分期生成。"
    return None


# --- What the report shows ---------------------------------------------------------------------


@dataclass
class Column:
    title: str
    kind: str = "text"  # "text", "count" or "share" (a fraction, shown as a percentage)


@dataclass
class Table:
    sheet: str  # the workbook's sheet (at most 31 characters, none of []:*?/\)
    caption: str
    columns: list[Column]
    rows: list[list]
    note: str = ""

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each row's cells as shown in the page and the PDF: (text, whether a number)."""
        return [
            [
                (shown(value, column.kind), column.kind != "text")
                for value, column in zip(row, self.columns, strict=True)
            ]
            for row in self.rows
        ]


@dataclass
class Section:
    key: str  # also the key of its chart (apps.insight.charts)
    title: str
    lead: str  # the section's totals in a sentence
    tables: list[Table]
    has_data: bool = True  # without data its chart is not drawn


@dataclass
class Report:
    period: Period
    published: dict
    readers: dict
    reach: list
    industries: dict
    top_articles: list[dict]
    feedback: list[dict]
    rolled_up_to: object = None  # the rollups' progress (RollupMark.read_after), or None
    generated_at: object = None
    summary: str = ""
    sections: list[Section] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{settings.PUBLICATION_NAME}工作报告"

    @property
    def notes(self) -> list[str]:
        """What the reader of the report should know about how its figures were counted."""
        notes = []
        months = self.period.months
        if not self.period.whole_months:
            notes.append(
                "活跃读者、文章阅读、产业阅读量和意见和建议按自然月统计，"
                f"涵盖{months[0].year}年{months[0].month}月至"
                f"{months[-1].year}年{months[-1].month}月。"
            )
        recent = timezone.now() - timedelta(days=max(figures.REACH_DAYS))
        if any(row.issue.went_live_at > recent for row in self.reach):
            notes.append(f"上线不满{max(figures.REACH_DAYS)}天的期刊，其到达率仍会增长。")
        if self.rolled_up_to:
            notes.append(
                f"阅读数据统计至{timezone.localtime(self.rolled_up_to):%Y年%m月%d日 %H:%M}。"
            )
        return notes


def share_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def shown(value, kind: str) -> str:
    if kind == "share":
        return share_text(value)
    return "" if value is None else str(value)


def build(period: Period) -> Report:
    """The report of `period`, with its generated summary: a fixed number of queries."""
    months = period.months
    issues = figures.live_issues(limit=None, start=period.start, end=period.end)
    mark = RollupMark.objects.filter(pk=1).values_list("read_after", flat=True).first()
    report = Report(
        period=period,
        published=figures.published_in(period.start, period.end),
        readers=figures.readers_in(period.start, period.end),
        reach=figures.reach(issues),
        industries=figures.industry_months(months),
        top_articles=figures.top_articles(months, limit=TOP_ARTICLES),
        feedback=figures.feedback_months(months),
        rolled_up_to=mark,
        generated_at=timezone.now(),
    )
    report.sections = sections(report)
    report.summary = generated_summary(report)
    return report


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def issue_label(issue) -> str:
    return f"{issue.year}年第{issue.number}期"


def sections(report: Report) -> list[Section]:
    published, readers = report.published, report.readers
    readings = {row["industry"].pk: row for row in report.industries["series"]}
    by_section = Table(
        "栏目发文",
        "按栏目统计的发布文章",
        [Column("栏目"), Column("文章数", "count")],
        [[section.name, n] for section, n in published["by_section"]],
    )
    by_industry = Table(
        "产业发文",
        "按产业统计的发布文章与阅读",
        [
            Column("产业类别"),
            Column("产业"),
            Column("文章数", "count"),
            Column("阅读量", "count"),
            Column("关注者阅读占比", "share"),
        ],
        [
            [
                industry.group.name,
                industry.name,
                n,
                readings[industry.pk]["total"] if industry.pk in readings else 0,
                readings[industry.pk]["followers_share"] if industry.pk in readings else None,
            ]
            for industry, n in published["by_industry"]
        ],
        note="一篇文章可属于多个产业；阅读量为期间内各产业文章被首次阅读的人次，"
        "关注者阅读占比为其中关注该产业的读者所占比例。",
    )

    def people_table(sheet, caption, heading, rows):
        return Table(
            sheet,
            caption,
            [
                Column(heading),
                Column("有效订户", "count"),
                Column("活跃读者", "count"),
                Column("活跃比例", "share"),
            ],
            [
                [label, eligible, active, ratio(active, eligible)]
                for label, eligible, active in rows
            ],
        )

    reach_table = Table(
        "各期到达",
        "各期上线后的到达情况",
        [
            Column("期刊"),
            Column("上线日期"),
            Column("可阅读人数", "count"),
            *[Column(f"{days}天内到达率", "share") for days in figures.REACH_DAYS],
            Column("累计读者", "count"),
        ],
        [
            [
                issue_label(row.issue),
                f"{timezone.localtime(row.issue.went_live_at):%Y-%m-%d}",
                row.eligible,
                *[row.share(days) for days in figures.REACH_DAYS],
                sum(row.channels.values()),
            ]
            for row in report.reach
        ],
        note="可阅读人数为期刊上线时有权阅读的订户数；到达率为上线后若干天内打开该期或其中文章的"
        "订户所占比例；累计读者为至今打开过该期的人数。",
    )
    articles_table = Table(
        "热门文章",
        f"阅读人数最多的文章（前{TOP_ARTICLES}篇）",
        [Column("排名", "count"), Column("标题"), Column("期刊"), Column("读者人数", "count")],
        [
            [rank, row["title"], row["issue"], row["readers"]]
            for rank, row in enumerate(report.top_articles, 1)
        ],
        note="读者人数为期间内首次阅读该文章的人数。",
    )
    feedback_table = Table(
        "意见和建议",
        "每月收到的意见和建议",
        [
            Column("月份"),
            Column("收到条数", "count"),
            Column(f"{figures.ANSWER_WORKING_DAYS}个工作日内处理", "count"),
            Column("及时处理比例", "share"),
        ],
        [
            [
                f"{row['month'].year}年{row['month'].month}月",
                row["messages"],
                row["answered_in_time"],
                row["share"],
            ]
            for row in report.feedback
        ],
    )

    messages = sum(row["messages"] for row in report.feedback)
    answered = sum(row["answered_in_time"] for row in report.feedback)
    reached = [row.share(7) for row in report.reach if row.share(7) is not None]
    return [
        Section(
            "published",
            "出刊与发文",
            f"期间上线期刊{published['issues']}期，发布文章{published['articles']}篇。",
            [by_section, by_industry],
            has_data=published["articles"] > 0,
        ),
        Section(
            "readers",
            "读者",
            f"期间有效订户{readers['eligible']}人，其中有阅读记录的活跃读者{readers['active']}人"
            f"（{share_text(ratio(readers['active'], readers['eligible']))}）。",
            [
                people_table("读者类型", "按订户类型统计", "订户类型", readers["by_kind"]),
                people_table("读者地区", "按地区统计", "地区", readers["by_region"]),
            ],
            has_data=bool(readers["by_region"]),
        ),
        Section(
            "reach",
            "各期到达",
            f"期间上线的{len(report.reach)}期中，上线后7天内的平均到达率为"
            f"{share_text(sum(reached) / len(reached) if reached else None)}。",
            [reach_table],
            has_data=bool(report.reach),
        ),
        Section(
            "articles",
            "热门文章",
            f"期间共有{len(report.top_articles)}篇文章列入阅读排行。"
            if report.top_articles
            else "期间没有文章阅读记录。",
            [articles_table],
            has_data=bool(report.top_articles),
        ),
        Section(
            "feedback",
            "意见和建议",
            f"期间收到意见和建议{messages}条，{figures.ANSWER_WORKING_DAYS}个工作日内处理"
            f"{answered}条（{share_text(ratio(answered, messages))}）。",
            [feedback_table],
            has_data=messages > 0,
        ),
    ]


def generated_summary(report: Report) -> str:
    """A few sentences in Chinese from the figures, for the reviewer to edit before download."""
    published, readers = report.published, report.readers
    paragraphs = []
    text = (
        f"{report.period.label}，共上线期刊{published['issues']}期，"
        f"发布文章{published['articles']}篇"
    )
    busiest = max(published["by_section"], key=lambda pair: pair[1], default=None)
    if busiest and busiest[1]:
        text += f"，其中“{busiest[0].name}”栏目最多（{busiest[1]}篇）"
    paragraphs.append(text + "。")

    text = f"期间有效订户{readers['eligible']}人，有阅读记录的活跃读者{readers['active']}人"
    if readers["eligible"]:
        text += f"，占{share_text(readers['active'] / readers['eligible'])}"
    paragraphs.append(text + "。")

    measured = [row for row in report.reach if row.share(7) is not None]
    if measured:
        average = sum(row.share(7) for row in measured) / len(measured)
        best = max(measured, key=lambda row: row.share(7))
        paragraphs.append(
            f"各期上线后7天内平均到达{share_text(average)}的可阅读订户，"
            f"到达率最高的是{issue_label(best.issue)}（{share_text(best.share(7))}）。"
        )
    if report.top_articles:
        top = report.top_articles[0]
        where = f"，{top['issue']}" if top["issue"] else ""
        paragraphs.append(
            f"阅读人数最多的文章是《{top['title']}》（{top['readers']}人阅读{where}）。"
        )
    messages = sum(row["messages"] for row in report.feedback)
    if messages:
        answered = sum(row["answered_in_time"] for row in report.feedback)
        paragraphs.append(
            f"收到订户意见和建议{messages}条，其中{answered}条在"
            f"{figures.ANSWER_WORKING_DAYS}个工作日内处理（{share_text(answered / messages)}）。"
        )
    else:
        paragraphs.append("期间未收到订户意见和建议。")
    return "\n".join(paragraphs)


def with_summary(report: Report, text: str | None) -> Report:
    """The report with the reviewer's text in place of the generated one (if they gave one)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if text:
        report.summary = text[:SUMMARY_MAX_LENGTH]
    return report
