"""`make bench`, part `insight`: the dashboard's rollups, the dashboard and the year's report on
two years of readings, beside their targets.

Run by bench.py as a child process with BENCH_DATABASE_URL naming its own database
(bulletin_bench_insight by default), so that bench.py's helpers (setup_django, start_server,
run_wrk, Browser) work on it unchanged.

- The data (made once, kept in the database): 1,000 subscribers (each kind, nine regions, one
  in ten expired at some time in the two years, each following two or three industries), 500
  issues that went live over the last 730 days with 20 articles each (10,000, one or two
  industries each), and 5,000,000 readings: about 60% of the subscribers open each issue,
  their first opening a few hours to days after it went live through one of the channels,
  each opening most of the issue's articles, some opened again weeks later. Made by SQL on
  PostgreSQL (generate_series and random() with a fixed seed), then VACUUM ANALYZE.
- `manage.py rebuild_rollups` from empty rollup tables (every issue's audience derived, every
  row inserted), then again on full ones (nothing to write), each timed with its peak memory.
- A minute's refresh (apps.insight.rollups.refresh): 2,000 readings of the ten newest issues
  and 200 of older ones opened again, then one refresh, timed.
- The dashboard (/admin/insight/) under gunicorn with wrk at 2 connections, signed in as
  订户管理 (password and TOTP code; it sees the people's tables too, the larger page), and
  its first view after the rollups changed (the cache ended by the counter); the report of
  last calendar year as PDF (/admin/insight/report/?start=…&end=…&format=pdf), downloaded
  three times. Either is skipped, with a note, while its view is not there yet.

The exit status is 1 when a target is missed. For working on one step:
    BENCH_INSIGHT_STEPS=rebuild,refresh,pages   the steps to run
e.g. BENCH_PARTS=insight BENCH_INSIGHT_STEPS=rebuild .venv/bin/python benchmarks/bench.py
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import bench

SUBSCRIBERS = 1000
ISSUES = 500
ARTICLES_PER_ISSUE = 20
READINGS = 5_000_000
DAYS = 730

REBUILD_SECONDS = 120.0
REFRESH_SECONDS = 30.0  # the refresh runs every minute: it must end well within it
DASHBOARD_P99 = 300.0  # ms, at 2 connections
DASHBOARD_CONNECTIONS = "2"
REPORT_SECONDS = 5.0
REPORT_DOWNLOADS = 3

USER_PREFIX = "insightbench"
ISSUE_TITLE = "［看板基准］"
MANAGER = "bench-subscriber-admin"
MANAGER_PASSWORD = "bench-only-" + "m" * 20
STEPS_RUN = os.environ.get("BENCH_INSIGHT_STEPS", "rebuild,refresh,pages").split(",")


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


# --- The data ---------------------------------------------------------------------------------


def ensure_data() -> None:
    """The subscribers, issues, articles and readings above; made once and kept."""
    from django.db import connection, transaction

    from apps.readership.models import Reading

    if Reading.objects.count() >= READINGS:
        return
    print(f"generating {READINGS:,} readings of {ISSUES} issues (once; kept in its database)")
    started = time.monotonic()
    with transaction.atomic():
        users = make_subscribers()
        issues = make_issues()
        print(f"  subscribers, issues and articles in {time.monotonic() - started:.0f} s")
        with connection.cursor() as cursor:
            make_readings(cursor, users, issues)
    print(f"  {Reading.objects.count():,} readings in {time.monotonic() - started:.0f} s")
    vacuum()


def make_subscribers() -> list[int]:
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from apps.articles.models import Industry
    from apps.subscribers.models import Subscriber

    User = get_user_model()
    rng = random.Random(2026)  # noqa: S311 - test data
    User.objects.filter(username__startswith=USER_PREFIX).delete()
    today = timezone.localdate()
    users = User.objects.bulk_create(
        User(username=f"{USER_PREFIX}{n:04d}", email=f"{USER_PREFIX}{n:04d}@example.com")
        for n in range(SUBSCRIBERS)
    )
    kinds = [Subscriber.Kind.LEADERSHIP] * 2 + [Subscriber.Kind.ENTERPRISE] * 6
    kinds += [Subscriber.Kind.OTHER] * 2
    regions = list(Subscriber.Region)
    subscribers = []
    for user in users:
        start = today - timedelta(days=rng.randint(0, DAYS + 200))
        end = today + timedelta(days=rng.randint(30, 400))
        if rng.random() < 0.1:  # ended at some time in the two years
            end = max(start, today - timedelta(days=rng.randint(1, DAYS)))
        subscribers.append(
            Subscriber(
                user=user,
                kind=rng.choice(kinds),
                region=rng.choice(regions),
                organization=f"基准单位{user.pk % 300}",
                valid_from=start,
                valid_until=end,
                notify_by_email=False,
            )
        )
    Subscriber.objects.bulk_create(subscribers)
    industries = list(Industry.objects.values_list("pk", flat=True))
    through = Subscriber.industries.through
    through.objects.bulk_create(
        through(subscriber_id=subscriber.pk, industry_id=industry)
        for subscriber in subscribers
        for industry in rng.sample(industries, rng.randint(2, 3))
    )
    return [user.pk for user in users]


def make_issues() -> list[int]:
    import random
    from datetime import datetime
    from datetime import time as day_time

    from django.utils import timezone

    from apps.articles.models import Article, Industry, Section
    from apps.issues.models import Issue

    rng = random.Random(2027)  # noqa: S311 - test data
    Article.objects.filter(issue__title__startswith=ISSUE_TITLE).delete()
    Issue.objects.filter(title__startswith=ISSUE_TITLE).delete()
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    issues = []
    for n in range(ISSUES):
        day = today - timedelta(days=DAYS - 1 - n * (DAYS - 2) // (ISSUES - 1))
        went_live = datetime.combine(day, day_time(9, rng.randint(0, 59)), tzinfo=zone)
        issues.append(
            Issue(
                year=2040 + n // 99,  # numbers the generated archive does not use
                number=n % 99 + 1,
                title=f"{ISSUE_TITLE}{n + 1}",
                editor_note="<p>编者的话</p>",
                status=Issue.Status.PUBLISHED,
                published_at=went_live - timedelta(seconds=30),
                went_live_at=went_live,
            )
        )
    issues = Issue.objects.bulk_create(issues)
    sections = list(Section.objects.values_list("pk", flat=True))
    articles = Article.objects.bulk_create(
        Article(
            issue=issue,
            section_id=sections[position % len(sections)],
            position=position + 1,
            title=f"{issue.title}·文章{position + 1}",
            summary="摘要",
            body="<p>正文</p>",
            status=Article.Status.PUBLISHED,
        )
        for issue in issues
        for position in range(ARTICLES_PER_ISSUE)
    )
    industries = list(Industry.objects.values_list("pk", flat=True))
    through = Article.industries.through
    through.objects.bulk_create(
        through(article_id=article.pk, industry_id=industry)
        for article in articles
        for industry in rng.sample(industries, rng.randint(1, 2))
    )
    return [issue.pk for issue in issues]


def make_readings(cursor, users, issues) -> None:
    """The readings, in SQL: a pair (reader, issue) for 60% of the pairs, its first opening an
    exponential wait (mean two days) after the issue went live, its channel; then the issue's
    row for 70% of the pairs and a row for 80% of its articles, each a few hours after the
    pair's first; one row in three opened again up to 40 days later."""
    from django.utils import timezone

    from apps.articles.models import Article
    from apps.issues.models import Issue
    from apps.readership.models import Reading

    cursor.execute("SELECT setseed(0.2026)")
    cursor.execute(
        f"""
        CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS
        SELECT u.id AS user_id, i.id AS issue_id,
            LEAST(%(now)s - interval '1 minute',
                  i.went_live_at + (-ln(1 - random())) * interval '2 days'
                  - interval '10 minutes' * (random() < 0.01)::int) AS first_at,
            (ARRAY['', '', '', '', '', 'email', 'email', 'email', 'wecom', 'dingtalk',
                   'feishu'])[1 + floor(random() * 11)::int] AS channel,
            random() < 0.7 AS opened_issue
        FROM unnest(%(users)s::int[]) AS u(id)
        CROSS JOIN {Issue._meta.db_table} i
        WHERE i.id = ANY(%(issues)s::int[]) AND random() < 0.6
        """,  # noqa: S608 - our own table name
        {"now": timezone.now(), "users": users, "issues": issues},
    )
    cursor.execute(
        f"""
        INSERT INTO {Reading._meta.db_table}
            (user_id, issue_id, article_id, first_read_at, last_read_at, count, channel)
        SELECT user_id, issue_id, article_id, first_at,
            LEAST(%(now)s - interval '1 minute',
                  first_at + random() * interval '40 days' * (random() < 0.33)::int),
            1 + floor(random() * 3)::int,
            CASE WHEN article_id IS NULL OR random() < 0.7 THEN channel ELSE '' END
        FROM (
            SELECT user_id, issue_id, NULL::int AS article_id, first_at, channel
            FROM bench_pairs WHERE opened_issue
            UNION ALL
            SELECT p.user_id, p.issue_id, a.id,
                LEAST(%(now)s - interval '1 minute', p.first_at + random() * interval '6 hours'),
                p.channel
            FROM bench_pairs p JOIN {Article._meta.db_table} a ON a.issue_id = p.issue_id
            WHERE random() < 0.8
        ) rows
        LIMIT %(readings)s
        """,  # noqa: S608 - our own table names
        {"now": timezone.now(), "readings": READINGS},
    )


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- Rebuild and refresh ------------------------------------------------------------------------


def empty_rollups() -> None:
    from django.db import connection

    from apps.insight import models

    tables = [
        m._meta.db_table
        for m in (
            models.IssueAudience,
            models.IssueReach,
            models.ArticleMonth,
            models.IndustryMonth,
            models.ReaderMonth,
            models.ReaderSeen,
            models.RollupMark,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


# `manage.py rebuild_rollups` as an operator runs it, telling its own peak memory when it
# ends (VmHWM: the rusage of a child counts the size of the process it was forked from).
REBUILD = """
import atexit, runpy, sys

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak_kib", line.split()[1], file=sys.stderr)

atexit.register(peak)
sys.argv = ["manage.py", "rebuild_rollups"]
runpy.run_path("manage.py", run_name="__main__")
"""


def run_rebuild() -> dict:
    """`manage.py rebuild_rollups` in a child process: its wall time and peak memory."""
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "-c", REBUILD],
        cwd=bench.ROOT,
        env=bench.SERVER_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode:
        raise SystemExit(f"rebuild_rollups exited with {done.returncode}: {done.stderr}")
    peak = re.search(r"peak_kib (\d+)", done.stderr)
    return {
        "seconds": seconds,
        "rss": int(peak.group(1)) / 1024 if peak else 0.0,
        "output": done.stdout.strip(),
    }


def measure_rebuild() -> dict:
    empty_rollups()
    first = run_rebuild()
    again = run_rebuild()
    from apps.insight import models

    rows = {
        m.__name__: m.objects.count()
        for m in (models.IssueReach, models.ArticleMonth, models.IndustryMonth, models.ReaderMonth)
    }
    return {"first": first, "again": again, "rows": rows}


def measure_refresh() -> dict:
    """A busy minute: 2,000 readings of the ten newest issues and 200 of older ones opened
    again (a new last opening; one in ten of those without a channel opened from a WeCom
    group's card), then one refresh."""
    from django.db import connection
    from django.utils import timezone

    from apps.insight import rollups
    from apps.insight.models import RollupMark
    from apps.issues.models import Issue
    from apps.readership.models import Reading

    if not RollupMark.objects.filter(read_after__isnull=False).exists():
        rollups.rebuild()
    rollups.refresh()  # whatever an earlier step left
    newest = list(
        Issue.objects.filter(title__startswith=ISSUE_TITLE)
        .order_by("-went_live_at")
        .values_list("pk", flat=True)[:10]
    )
    table = Reading._meta.db_table
    with connection.cursor() as cursor:
        for where, limit in (("issue_id = ANY(%s)", 2000), ("NOT issue_id = ANY(%s)", 200)):
            cursor.execute(
                f"""
                UPDATE {table} SET last_read_at = %s, count = count + 1,
                    channel = CASE WHEN channel = '' AND random() < 0.1 THEN 'wecom'
                                   ELSE channel END
                WHERE id IN (SELECT id FROM {table} WHERE {where} ORDER BY random() LIMIT %s)
                """,  # noqa: S608 - our own table name and conditions
                [timezone.now(), newest, limit],
            )
    started = time.monotonic()
    done = rollups.refresh()
    return {"seconds": time.monotonic() - started, "done": done}


# --- The pages ------------------------------------------------------------------------------------


def ensure_manager():
    """A 订户管理 member with a password and a new TOTP device; returns the device."""
    return bench.ensure_staff(MANAGER, MANAGER_PASSWORD, "订户管理")


def sign_in(device) -> str:
    return bench.sign_in_staff(MANAGER, MANAGER_PASSWORD, device).cookies["sessionid"]


def report_path() -> str:
    from django.utils import timezone

    year = timezone.localdate().year - 1
    return f"/admin/insight/report/?start={year}-01-01&end={year}-12-31&format=pdf"


def timed_get(session, path) -> tuple[int, float, int]:
    browser = bench.Browser()
    browser.cookies["sessionid"] = session
    started = time.monotonic()
    status, content = browser.request("GET", path)
    return status, time.monotonic() - started, len(content)


def measure_pages() -> dict:
    from django.core.cache import cache

    from apps.core import revisions

    device = ensure_manager()
    cache.clear()
    server = bench.start_server()
    result = {"dashboard": None, "report": None, "notes": []}
    try:
        session = sign_in(device)
        status, _, _ = timed_get(session, "/admin/insight/")
        if status == 404:
            result["notes"].append("the dashboard (/admin/insight/) is not there yet: skipped")
        elif status != 200:
            raise SystemExit(f"/admin/insight/ answered {status} under gunicorn")
        else:
            # Its first view after the rollups changed: the counter moved, the cache is past.
            revisions.bump(revisions.Counter.INSIGHT)
            _, cold, _ = timed_get(session, "/admin/insight/")
            for _ in range(6):  # both workers warm
                timed_get(session, "/admin/insight/")
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(
                    f'wrk.headers["Cookie"] = "sessionid={session}"\n'
                    'wrk.headers["X-Forwarded-Proto"] = "https"\n'
                )
            try:
                measured = bench.run_wrk("/admin/insight/", script.name, DASHBOARD_CONNECTIONS)
            finally:
                os.unlink(script.name)
            result["dashboard"] = {"wrk": measured, "cold": cold}
        path = report_path()
        status, seconds, size = timed_get(session, path)
        if status == 404:
            result["notes"].append("the report (/admin/insight/report/) is not there yet: skipped")
        elif status != 200:
            raise SystemExit(f"{path} answered {status} under gunicorn")
        else:
            times = [seconds]
            for _ in range(REPORT_DOWNLOADS - 1):
                status, seconds, size = timed_get(session, path)
                times.append(seconds)
            result["report"] = {"times": times, "size": size, "path": path}
        result["rss"] = bench.worker_rss_mib(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    return result


# --- Printing ---------------------------------------------------------------------------------


def print_data() -> None:
    from apps.articles.models import Article
    from apps.issues.models import Issue
    from apps.readership.models import Reading
    from apps.subscribers.models import Subscriber

    print(
        f"\ninsight: {Subscriber.objects.count():,} subscribers, "
        f"{Issue.objects.filter(title__startswith=ISSUE_TITLE).count():,} issues, "
        f"{Article.objects.filter(issue__title__startswith=ISSUE_TITLE).count():,} articles, "
        f"{Reading.objects.count():,} readings (PostgreSQL)"
    )


def print_rebuild(result: dict) -> bool:
    ok = True
    for label, run in (
        ("from empty rollups", result["first"]),
        ("again (no change)", result["again"]),
    ):
        met = run["seconds"] <= REBUILD_SECONDS
        ok &= met
        print(
            f"rebuild_rollups {label}: {run['seconds']:.1f} s, peak {run['rss']:.0f} MiB "
            f"(target <= {REBUILD_SECONDS:.0f} s: {verdict(met)})  [{run['output']}]"
        )
    print("rollup rows: " + ", ".join(f"{name} {n:,}" for name, n in result["rows"].items()))
    return ok


def print_refresh(result: dict) -> bool:
    met = result["seconds"] <= REFRESH_SECONDS
    print(
        f"a minute's refresh (2,200 readings opened again): {result['seconds']:.2f} s "
        f"(target <= {REFRESH_SECONDS:.0f} s: {verdict(met)})  {result['done']}"
    )
    return met


def print_pages(result: dict) -> bool:
    ok = True
    for note in result["notes"]:
        print(f"NOTE: {note}")
    if result["dashboard"]:
        rps, p50, p99, errors = result["dashboard"]["wrk"]
        met = p99 <= DASHBOARD_P99 and not errors
        ok &= met
        print(
            f"dashboard /admin/insight/ (订户管理), wrk {bench.DURATION} at "
            f"{DASHBOARD_CONNECTIONS} connections: {rps:.0f} req/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, {errors} errors (target p99 <= {DASHBOARD_P99:.0f} ms: "
            f"{verdict(met)}); first view after the rollups changed: "
            f"{result['dashboard']['cold'] * 1000:.0f} ms"
        )
    if result["report"]:
        times = result["report"]["times"]
        met = max(times) <= REPORT_SECONDS
        ok &= met
        print(
            f"the year's report PDF ({result['report']['path']}): "
            + ", ".join(f"{t:.2f}" for t in times)
            + f" s, {result['report']['size'] / 1024:.0f} KiB "
            f"(target <= {REPORT_SECONDS:.0f} s: {verdict(met)})"
        )
    if "rss" in result:
        print(f"largest gunicorn worker RSS: {result['rss']:.0f} MiB")
    return ok


def main() -> int:
    quiet = {"LOG_LEVEL": "WARNING"}
    os.environ.update(quiet)
    bench.SERVER_ENV.update(quiet)
    bench.ensure_database()
    bench.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    ensure_data()
    print_data()
    ok = True
    if "rebuild" in STEPS_RUN:
        ok &= print_rebuild(measure_rebuild())
    if "refresh" in STEPS_RUN:
        ok &= print_refresh(measure_refresh())
    if "pages" in STEPS_RUN:
        ok &= print_pages(measure_pages())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
