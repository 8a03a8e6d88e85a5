"""The figures of the dashboard and the report, read from the rollups (apps.insight.models)
and from the small tables (issues, articles, subscribers, feedback); never from the readings
but for the leaders' grid, which reads a few issues of a few people by index.

Each function costs a fixed number of queries, however many issues, articles or readers.
Shares are fractions (0–1) or None where there was nobody to reach.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone

from apps.accounts.access import acts_as_staff
from apps.articles.models import Article, Industry, Section
from apps.feedback.models import Feedback
from apps.insight.models import (
    KINDS,
    REGIONS,
    ArticleMonth,
    IndustryMonth,
    IssueAudience,
    IssueReach,
    ReaderMonth,
    ReaderSeen,
)
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from apps.subscribers.selectors import current_subscribers

# Within how many days of going live a reader counts as reached (the line chart's lines).
REACH_DAYS = (1, 3, 7)
RECENT_ISSUES = 24
TOP_ARTICLES = 20
LEADER_ISSUES = 6
SILENT_DAYS = 90
ANSWER_WORKING_DAYS = 3

KIND_LABELS = dict(KINDS)
REGION_LABELS = dict(REGIONS)


def may_view(user) -> bool:
    """Reviewers, subscriber administrators and superusers open the dashboard."""
    return acts_as_staff(user) and user.has_perm("insight.view_insight")


def may_see_people(user) -> bool:
    """Each leader's reading and who has not read: subscriber administrators and superusers."""
    return may_view(user) and user.has_perm("insight.view_insight_people")


# --- Periods ------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months from `start`'s to `end`'s, both included."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def last_months(count: int, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    first = month_start(today)
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return months_between(first, today)


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The aware datetimes from `start`'s midnight to the midnight after `end`, local time."""
    zone = timezone.get_current_timezone()
    begin = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    finish = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return begin, finish


# --- Reach per issue ------------------------------------------------------------------------------


@dataclass
class IssueReachRow:
    issue: Issue
    eligible: int = 0
    # readers reached within each of REACH_DAYS days, overall and per kind and per region
    reached: dict[int, int] = field(default_factory=dict)
    eligible_by: dict[tuple[str, str], int] = field(default_factory=dict)
    reached_by: dict[tuple[str, str, int], int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)  # all readers, by first channel

    def share(self, days: int) -> float | None:
        return self.reached.get(days, 0) / self.eligible if self.eligible else None

    def share_of(self, dimension: str, value: str, days: int) -> float | None:
        eligible = self.eligible_by.get((dimension, value), 0)
        if not eligible:
            return None
        return self.reached_by.get((dimension, value, days), 0) / eligible


def live_issues(*, limit: int | None = RECENT_ISSUES, start=None, end=None) -> list[Issue]:
    """Issues that went live (newest `limit`, or those that went live within [start, end]),
    oldest first, as a chart reads them."""
    issues = Issue.objects.live().filter(went_live_at__isnull=False)
    if start is not None:
        begin, finish = _day_bounds(start, end)
        issues = issues.filter(went_live_at__gte=begin, went_live_at__lt=finish)
    issues = issues.newest_first()
    if limit is not None:
        issues = issues[:limit]
    return list(reversed(list(issues)))


def reach(issues: list[Issue]) -> list[IssueReachRow]:
    """Each issue's eligible readers and the readers it reached within 1, 3 and 7 days, by
    kind and region, and its readers by channel: three queries."""
    rows = {issue.pk: IssueReachRow(issue) for issue in issues}
    for issue_id, kind, region, eligible in IssueAudience.objects.filter(
        issue__in=rows
    ).values_list("issue_id", "kind", "region", "eligible"):
        row = rows[issue_id]
        row.eligible += eligible
        for key in (("kind", kind), ("region", region)):
            row.eligible_by[key] = row.eligible_by.get(key, 0) + eligible
    early = (
        IssueReach.objects.filter(issue__in=rows, day__lt=max(REACH_DAYS))
        .values_list("issue_id", "kind", "region", "day")
        .annotate(n=Sum("readers"))
    )
    for issue_id, kind, region, day, n in early:
        row = rows[issue_id]
        for days in REACH_DAYS:
            if day < days:
                row.reached[days] = row.reached.get(days, 0) + n
                for dimension, value in (("kind", kind), ("region", region)):
                    key = (dimension, value, days)
                    row.reached_by[key] = row.reached_by.get(key, 0) + n
    channels = (
        IssueReach.objects.filter(issue__in=rows)
        .values_list("issue_id", "channel")
        .annotate(n=Sum("readers"))
    )
    for issue_id, channel, n in channels:
        rows[issue_id].channels[channel] = n
    return [rows[issue.pk] for issue in issues]


# --- Interest ---------------------------------------------------------------------------------


def industry_months(months: list[date]) -> dict:
    """Readings per industry per month (the stacked chart), and each industry's share of the
    period's readings that came from readers who follow it: two queries."""
    industries = list(Industry.objects.select_related("group").order_by("group__order", "order"))
    found = defaultdict(dict)
    totals = defaultdict(lambda: [0, 0])
    for industry_id, month, readings, by_followers in IndustryMonth.objects.filter(
        month__in=months
    ).values_list("industry_id", "month", "readings", "by_followers"):
        found[industry_id][month] = readings
        totals[industry_id][0] += readings
        totals[industry_id][1] += by_followers
    return {
        "months": months,
        "series": [
            {
                "industry": industry,
                "readings": [found[industry.pk].get(month, 0) for month in months],
                "total": totals[industry.pk][0],
                "by_followers": totals[industry.pk][1],
                "followers_share": (
                    totals[industry.pk][1] / totals[industry.pk][0]
                    if totals[industry.pk][0]
                    else None
                ),
            }
            for industry in industries
        ],
    }


def top_articles(months: list[date], limit: int = TOP_ARTICLES) -> list[dict]:
    """The most-read articles whose readers first opened them in `months`: one query."""
    rows = (
        ArticleMonth.objects.filter(month__in=months)
        .values("article", "article__title", "article__issue__year", "article__issue__number")
        .annotate(readers=Sum("readers"))
        .order_by("-readers", "article")[:limit]
    )
    return [
        {
            "article_id": row["article"],
            "title": row["article__title"],
            "issue": f"{row['article__issue__year']}年第{row['article__issue__number']}期"
            if row["article__issue__year"]
            else "",
            "readers": row["readers"],
        }
        for row in rows
    ]


# --- Feedback -------------------------------------------------------------------------------------


def working_days_between(start: datetime, end: datetime) -> int:
    """Monday to Friday days after `start`'s day up to `end`'s day (public holidays are not
    known to the system and count as working days)."""
    first, last = timezone.localdate(start), timezone.localdate(end)
    days, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def feedback_months(months: list[date]) -> list[dict]:
    """Messages per month and the share answered within 3 working days: one query (a few
    hundred rows a year)."""
    month_end = (months[-1] + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    begin, finish = _day_bounds(months[0], month_end)
    per_month = {month: [0, 0] for month in months}
    for created_at, handled_at in Feedback.objects.filter(
        created_at__gte=begin, created_at__lt=finish
    ).values_list("created_at", "handled_at"):
        month = month_start(timezone.localdate(created_at))
        if month not in per_month:
            continue
        per_month[month][0] += 1
        if handled_at and working_days_between(created_at, handled_at) <= ANSWER_WORKING_DAYS:
            per_month[month][1] += 1
    return [
        {
            "month": month,
            "messages": messages,
            "answered_in_time": answered,
            "share": answered / messages if messages else None,
        }
        for month, (messages, answered) in per_month.items()
    ]


# --- People (subscriber administrators only) -----------------------------------------------------


def leaders_grid(issues: list[Issue]) -> list[dict]:
    """Each current leader and whether they opened each of `issues` (or an article of it):
    two queries, by index, over a few issues."""
    leaders = list(
        current_subscribers()
        .filter(kind=Subscriber.Kind.LEADERSHIP)
        .select_related("user")
        .order_by("region", "organization", "user__username")
    )
    opened = set(
        Reading.objects.filter(user__in=[s.user_id for s in leaders], issue__in=issues)
        .values_list("user_id", "issue_id")
        .order_by()  # not Reading's default order, which DISTINCT would take in
        .distinct()
    )
    return [
        {
            "subscriber": leader,
            "opened": [(issue, (leader.user_id, issue.pk) in opened) for issue in issues],
            "count": sum((leader.user_id, issue.pk) in opened for issue in issues),
        }
        for leader in leaders
    ]


def silent_readers(days: int = SILENT_DAYS, now: datetime | None = None) -> list[Subscriber]:
    """Current subscribers who opened nothing in `days` days, for follow-up, each with
    `last_read_at` (None if the rollups know of no reading of theirs): one query."""
    since = (now or timezone.now()) - timedelta(days=days)
    recent = ReaderSeen.objects.filter(last_read_at__gte=since).values("user_id")
    last_read = ReaderSeen.objects.filter(user_id=OuterRef("user_id")).values("last_read_at")
    return list(
        current_subscribers()
        .exclude(user_id__in=recent)
        .annotate(last_read_at=Subquery(last_read[:1]))
        .select_related("user")
        .order_by("kind", "region", "organization", "user__username")
    )


# --- The report's period totals -----------------------------------------------------------------


def published_in(start: date, end: date) -> dict:
    """Issues that went live in the period, and their articles by section and by industry."""
    begin, finish = _day_bounds(start, end)
    issues = Issue.objects.live().filter(went_live_at__gte=begin, went_live_at__lt=finish)
    articles = Article.objects.filter(issue__in=issues, status=Article.Status.PUBLISHED)
    by_section = dict(articles.values_list("section").annotate(n=Count("pk")))
    by_industry = dict(articles.values_list("industries").annotate(n=Count("pk")))
    return {
        "issues": issues.count(),
        "articles": articles.count(),
        "by_section": [
            (section, by_section.get(section.pk, 0)) for section in Section.objects.all()
        ],
        "by_industry": [
            (industry, by_industry.get(industry.pk, 0))
            for industry in Industry.objects.select_related("group").order_by(
                "group__order", "order"
            )
        ],
    }


def readers_in(start: date, end: date) -> dict:
    """Eligible readers (a subscription covering any day of the period) and active readers
    (who opened anything in one of its months), by kind and by region."""
    eligible = Subscriber.objects.filter(
        user__is_active=True, valid_from__lte=end, valid_until__gte=start
    )
    active = ReaderMonth.objects.filter(month__in=months_between(start, end))
    counts = {}
    for name, rows, key in (
        ("eligible", eligible, "pk"),
        ("active", active, "user"),
    ):
        counts[name] = {
            "kind": dict(rows.values_list("kind").annotate(n=Count(key, distinct=True))),
            "region": dict(rows.values_list("region").annotate(n=Count(key, distinct=True))),
            "total": rows.aggregate(n=Count(key, distinct=True))["n"],
        }
    return {
        "eligible": counts["eligible"]["total"],
        "active": counts["active"]["total"],
        "by_kind": [
            (label, counts["eligible"]["kind"].get(v, 0), counts["active"]["kind"].get(v, 0))
            for v, label in KINDS
            if counts["eligible"]["kind"].get(v) or counts["active"]["kind"].get(v)
        ],
        "by_region": [
            (label, counts["eligible"]["region"].get(v, 0), counts["active"]["region"].get(v, 0))
            for v, label in REGIONS
            if counts["eligible"]["region"].get(v) or counts["active"]["region"].get(v)
        ],
    }


def answered_share(rows: list[dict]) -> float | None:
    messages = sum(row["messages"] for row in rows)
    return sum(row["answered_in_time"] for row in rows) / messages if messages else None
