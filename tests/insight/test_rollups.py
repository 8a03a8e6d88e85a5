"""The dashboard's figures (apps.insight.figures, read from the rollups) are what plain SQL over
the readings says (issue 23 §3): each written here, apart from the rollups' code."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from apps.articles.models import Article
from apps.insight import figures
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.insight.seeding import seed

pytestmark = pytest.mark.django_db

T = {
    "reading": Reading._meta.db_table,
    "issue": Issue._meta.db_table,
    "subscriber": Subscriber._meta.db_table,
    "follows": Subscriber.industries.through._meta.db_table,
    "tags": Article.industries.through._meta.db_table,
    "user": get_user_model()._meta.db_table,
}
POSTGRES = connection.vendor == "postgresql"


# Asia/Shanghai has kept UTC+8 all year since 1991: a fixed shift is the local time.
def local_month(column):
    if POSTGRES:
        return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {column}, '+8 hours')"


def local_date(column):
    if POSTGRES:
        return f"({column} AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"


def within_days(first, went_live, days):
    if POSTGRES:
        return f"{first} < {went_live} + interval '{days} days'"
    return f"julianday({first}) < julianday({went_live}) + {days}"


def sql(query, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query.format(**T), params)
        return cursor.fetchall()


FIRSTS = """
    SELECT issue_id, user_id, MIN(first_read_at) AS f FROM {reading} GROUP BY issue_id, user_id
"""


def sql_reach():
    """{issue: {(kind, region, days): readers}}, {issue: {channel: readers}},
    {issue: {(kind, region): eligible}}."""
    reached = {}
    rows = sql(
        f"""
        SELECT firsts.issue_id, COALESCE(s.kind, 'unknown'), COALESCE(s.region, 'unknown'),
            SUM(CASE WHEN {within_days("firsts.f", "i.went_live_at", 1)} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {within_days("firsts.f", "i.went_live_at", 3)} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {within_days("firsts.f", "i.went_live_at", 7)} THEN 1 ELSE 0 END)
        FROM ({FIRSTS}) firsts
        JOIN {{issue}} i ON i.id = firsts.issue_id
        LEFT JOIN {{subscriber}} s ON s.user_id = firsts.user_id
        GROUP BY 1, 2, 3
        """  # noqa: S608 - the tables and expressions are ours
    )
    for issue_id, kind, region, one, three, seven in rows:
        for days, n in ((1, one), (3, three), (7, seven)):
            reached.setdefault(issue_id, {})[(kind, region, days)] = n
    channels = {}
    for issue_id, channel, n in sql(
        f"""
        SELECT r.issue_id, r.channel, COUNT(*) FROM {{reading}} r
        JOIN ({FIRSTS}) firsts ON firsts.issue_id = r.issue_id AND firsts.user_id = r.user_id
            AND firsts.f = r.first_read_at
        GROUP BY 1, 2
        """  # noqa: S608 - the tables and expressions are ours
    ):
        channels.setdefault(issue_id, {})[channel] = n
    eligible = {}
    for issue_id, kind, region, n in sql(
        f"""
        SELECT i.id, s.kind, s.region, COUNT(*) FROM {{issue}} i
        JOIN {{subscriber}} s ON s.valid_from <= {local_date("i.went_live_at")}
            AND s.valid_until >= {local_date("i.went_live_at")}
        JOIN {{user}} u ON u.id = s.user_id AND u.is_active
        WHERE i.went_live_at IS NOT NULL
        GROUP BY 1, 2, 3
        """  # noqa: S608 - the tables and expressions are ours
    ):
        eligible.setdefault(issue_id, {})[(kind, region)] = n
    return reached, channels, eligible


def total(counts, kind=None, region=None, days=None):
    """The sum of `counts` ({(kind, region[, days]): n}) over the keys that match."""
    return sum(
        n
        for key, n in counts.items()
        if kind in (None, key[0]) and region in (None, key[1]) and days in (None, key[-1])
    )


def test_the_reach_of_each_issue_is_what_the_readings_say():
    world = seed()
    issues = figures.live_issues()
    assert [issue.pk for issue in issues] == [world.one.pk, world.two.pk, world.three.pk]
    reached, channels, eligible = sql_reach()
    for row in figures.reach(issues):
        pk = row.issue.pk
        assert row.eligible == total(eligible[pk])
        for days in figures.REACH_DAYS:
            assert row.reached.get(days, 0) == total(reached[pk], days=days)
            for kind, _ in figures.KINDS:
                assert row.reached_by.get(("kind", kind, days), 0) == total(
                    reached[pk], kind=kind, days=days
                )
            for region, _ in figures.REGIONS:
                assert row.reached_by.get(("region", region, days), 0) == total(
                    reached[pk], region=region, days=days
                )
        for kind, _ in figures.KINDS:
            assert row.eligible_by.get(("kind", kind), 0) == total(eligible[pk], kind=kind)
        assert row.channels == channels[pk]

    # And by hand, for issue one: seven could read it (the subscription that ended two days
    # after it went live among them; not the newcomer, nor the disabled account). In its
    # first 24 hours four opened it: two leaders (one 30 s before the go-live job ran), the
    # expired subscriber, and the reader whose subscription was deleted (unknown).
    one = figures.reach([world.one])[0]
    assert one.eligible == 7
    assert one.eligible_by[("kind", "enterprise")] == 3
    assert (one.reached[1], one.reached[3], one.reached[7]) == (4, 5, 6)
    assert one.reached_by[("kind", "unknown", 1)] == 1
    assert one.share(1) == pytest.approx(4 / 7)
    assert one.channels == {"email": 2, "wecom": 1, "": 2, "dingtalk": 1, "feishu": 1}


def test_industries_articles_and_readers_by_local_month_are_what_the_readings_say():
    world = seed()
    today = timezone.localdate()
    months = figures.months_between(today - timedelta(days=150), today)

    industry_rows = sql(
        f"""
        SELECT t.industry_id, {local_month("r.first_read_at")}, COUNT(*),
            SUM(CASE WHEN EXISTS (
                SELECT 1 FROM {{follows}} f JOIN {{subscriber}} s ON s.id = f.subscriber_id
                WHERE s.user_id = r.user_id AND f.industry_id = t.industry_id
            ) THEN 1 ELSE 0 END)
        FROM {{reading}} r JOIN {{tags}} t ON t.article_id = r.article_id
        GROUP BY 1, 2
        """  # noqa: S608 - the tables and expressions are ours
    )
    expected = {(i, m): (int(n), int(f)) for i, m, n, f in industry_rows}
    found = figures.industry_months(months)
    for series in found["series"]:
        industry = series["industry"]
        for month, readings in zip(months, series["readings"], strict=True):
            assert readings == expected.get((industry.pk, f"{month:%Y-%m}"), (0, 0))[0]
        assert series["by_followers"] == sum(
            f for (i, _), (_, f) in expected.items() if i == industry.pk
        )
    # Issue one went live at 18:00 on a month's last day (local): an article opened at 21:00
    # counts in that month, one opened at 02:00 (18:00 UTC, the same day) in the next.
    went_live = timezone.localtime(world.one.went_live_at)
    last_day = went_live.date().replace(day=1)
    assert went_live.hour == 18
    assert figures.top_articles([last_day]) == [
        {"article_id": world.a1.pk, "title": world.a1.title, "issue": "2030年第1期", "readers": 1}
    ]
    assert world.a2.pk in {row["article_id"] for row in figures.top_articles(months[-3:])}

    per_article = dict(
        sql(
            f"""
            SELECT r.article_id, COUNT(*) FROM {{reading}} r
            WHERE r.article_id IS NOT NULL AND {local_month("r.first_read_at")} IN ({
                ", ".join(["%s"] * len(months))
            })
            GROUP BY 1
            """,  # noqa: S608 - the tables and expressions are ours
            [f"{m:%Y-%m}" for m in months],
        )
    )
    assert {row["article_id"]: row["readers"] for row in figures.top_articles(months)} == (
        per_article
    )

    for start, end in ((months[0], today), (months[-2], months[-1] - timedelta(days=1))):
        period = [f"{m:%Y-%m}" for m in figures.months_between(start, end)]
        marks = ", ".join(["%s"] * len(period))
        active = sql(
            f"""
            SELECT COALESCE(s.kind, 'unknown'), COUNT(DISTINCT r.user_id) FROM {{reading}} r
            LEFT JOIN {{subscriber}} s ON s.user_id = r.user_id
            WHERE {local_month("r.first_read_at")} IN ({marks})
               OR {local_month("r.last_read_at")} IN ({marks})
            GROUP BY 1
            """,  # noqa: S608 - the tables and expressions are ours
            period + period,
        )
        readers = figures.readers_in(start, end)
        assert readers["active"] == sum(n for _, n in active)
        labels = dict(figures.KINDS)
        assert {label: a for label, _, a in readers["by_kind"] if a} == {
            labels[kind]: n for kind, n in active
        }

    # Who read nothing in 90 days, among today's subscribers: the quiet one only.
    silent = sql(
        """
        SELECT s.user_id FROM {subscriber} s JOIN {user} u ON u.id = s.user_id AND u.is_active
        WHERE s.valid_from <= %s AND s.valid_until >= %s AND NOT EXISTS (
            SELECT 1 FROM {reading} r WHERE r.user_id = s.user_id AND r.last_read_at >= %s
        )
        """,
        [today, today, timezone.now() - timedelta(days=90)],
    )
    assert [s.user_id for s in figures.silent_readers()] == [pk for (pk,) in silent]
    assert [s.user_id for s in figures.silent_readers()] == [world.quiet.pk]
