"""Keeping the rollups (apps.insight.models) in step with the readings.

Three ways in, one way of computing:

- `refresh()` (the worker, every minute: apps.insight.jobs): the readings last read after
  `RollupMark.read_after` (the index on last_read_at finds them) name what changed: their
  issues, their articles and the months of their first openings, their readers. Exactly those
  rollup rows are computed again from the readings, and `read_after` moves on.
- `rebuild()` (`manage.py rebuild_rollups`, the first refresh ever, and a refresh that finds
  more than BATCH changed readings): everything computed again from the readings, but what
  pruning made final (below).
- `snapshot_audiences()`: each issue that went live and has no audience yet gets one.

Only rows whose values differ are written (deleted, inserted or updated): the triggers on the
rollup tables move Counter.INSIGHT, which ends the dashboard's cached pages, so a refresh that
finds nothing new must write nothing (on PostgreSQL a statement trigger fires even for a
statement that touches no row: no statement is issued at all then).

Definitions (the dashboard's and the report's words):
- an issue's readers (IssueReach): per reader, the first opening of the issue or of one of its
  articles = the earliest first_read_at of their rows of that issue; its channel is that row's
  channel; its day = whole 24 hours after went_live_at (an opening before went_live_at, between
  publishing and the go-live job, is day 0). Kind and region are the reader's subscription's
  now ("unknown" without one).
- an article's readers in a month (ArticleMonth): its rows (one per reader) by the local month
  of their first opening; an industry's readings (IndustryMonth): the same rows, for each of
  the article's industries; by_followers: those whose reader follows the industry now.
- active readers of a month (ReaderMonth): readers with an opening in that month. A reading
  row keeps only its first and its last opening; the refresh sees every last opening within a
  minute, so it records each month a reader opened anything in, and these rows are only ever
  added (recomputing from the rows alone would lose a month whose opening a later one
  overwrote). The rebuild adds the months of first and last openings it finds.
- ReaderSeen: the latest opening per reader, never moved back.

Retention (`prune()`): readings last read before READINGS_KEEP_DAYS ago are deleted once the
rollups hold them (never after `read_after`), and `RollupMark.kept_from` records the cutoff.
Before it the totals are final: an issue that went live before kept_from, a month that began
before it, may have lost readings, so neither the refresh nor the rebuild recomputes them (a
rebuild only fills what is missing there, and never lowers a total). Everything after it is
complete: a reading first opened after the cutoff was last opened after it too.

Months are local (settings.TIME_ZONE), on SQLite and PostgreSQL alike: Django's TruncMonth in
the current time zone.
"""

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DateField, F, Max, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from apps.articles.models import Article
from apps.insight.models import (
    UNKNOWN,
    ArticleMonth,
    IndustryMonth,
    IssueAudience,
    IssueReach,
    ReaderMonth,
    ReaderSeen,
    RollupMark,
)
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from apps.subscribers.selectors import current_subscribers

logger = logging.getLogger(__name__)

# Readings are written by requests whose transactions commit a moment after the time they
# record: each refresh reads again what was last read in the OVERLAP before it started, so a
# late commit is not missed (reading a row twice changes nothing: rows are recomputed).
OVERLAP = timedelta(minutes=2)
# Changed readings a refresh works through; more are caught up by a rebuild.
BATCH = 50_000
# Old readings one prune deletes.
PRUNE_BATCH = 20_000
DAY = timedelta(days=1)
LAST_DAY = 32767  # IssueReach.day is a small integer
# Ids per statement (SQLite's parameter limit).
CHUNK = 900

UNKNOWN_PERSON = (UNKNOWN, UNKNOWN)


# --- Entry points -------------------------------------------------------------------------------


def rebuild(now=None) -> dict:
    """Compute every rollup again from the readings (keeping what pruning made final and the
    audiences already taken); wait for a refresh in progress. Idempotent.

    One transaction: the dashboard sees the old figures or the new ones. On PostgreSQL it
    blocks nobody but another refresher; on SQLite (the embedded default, whose transactions
    take the write lock when they begin) readings wait for it, seconds at that size."""
    started = now or timezone.now()
    with transaction.atomic():
        mark = _mark(wait=True)
        return _rebuild(mark, started)


def refresh(now=None, *, batch=BATCH) -> dict:
    """Bring the rollups up to date with the readings changed since the last refresh. Returns
    what it did; {"busy": True} when a rebuild or another refresh holds the mark."""
    started = now or timezone.now()
    with transaction.atomic():
        mark = _mark(wait=False)
        if mark is None:
            return {"busy": True}
        if mark.read_after is None:
            # Never rolled up: start from everything there is.
            return _rebuild(mark, started)
        changed = list(
            Reading.objects.filter(last_read_at__gt=mark.read_after)
            .order_by()
            .values_list(
                "user_id", "issue_id", "article_id", "first_read_at", "last_read_at", "channel"
            )[: batch + 1]
        )
        if len(changed) > batch:
            # A backlog (the worker was away for long): one rebuild reads every reading once,
            # where refreshes of it would each touch most issues.
            return {"backlog": True, **_rebuild(mark, started)}
        done = {"readings": len(changed)}
        if changed:
            done.update(_apply(changed, mark.read_after, mark.kept_from))
        reached = started - OVERLAP
        if reached > mark.read_after:
            mark.read_after = reached
            mark.save(update_fields=["read_after"])
        return done


def snapshot_audiences(now=None) -> int:
    """Take the audience of each issue that went live and has none yet: today's current
    subscribers for an issue that went live today, else those whose subscription covered the
    local day it went live (after a rebuild, or a worker that was down). Returns how many
    issues got one."""
    today = timezone.localdate(now or timezone.now())
    missing = (
        Issue.objects.filter(went_live_at__isnull=False)
        .exclude(pk__in=IssueAudience.objects.values("issue_id"))
        .values_list("pk", "went_live_at")
    )
    taken = 0
    for issue_id, went_live_at in missing:
        day = timezone.localdate(went_live_at)
        subscribers = current_subscribers() if day == today else eligible_on(day)
        rows = [
            IssueAudience(issue_id=issue_id, kind=kind, region=region, eligible=n)
            for kind, region, n in subscribers.order_by()
            .values_list("kind", "region")
            .annotate(n=Count("pk"))
        ]
        if rows:
            IssueAudience.objects.bulk_create(rows, ignore_conflicts=True)
            taken += 1
    return taken


def eligible_on(day: date):
    """Subscribers who could read on `day` (active account, `day` within the period): what
    current_subscribers() was that day, as far as today's rows tell."""
    return Subscriber.objects.filter(
        user__is_active=True, valid_from__lte=day, valid_until__gte=day
    )


def prune(now=None, *, batch=PRUNE_BATCH) -> int:
    """Delete up to `batch` readings last read more than READINGS_KEEP_DAYS ago and already
    rolled up; record the cutoff in RollupMark.kept_from. Returns how many went."""
    now = now or timezone.now()
    with transaction.atomic():
        mark = _mark(wait=False)
        if mark is None or mark.read_after is None:
            return 0
        cutoff = min(now - timedelta(days=settings.READINGS_KEEP_DAYS), mark.read_after)
        old = list(
            Reading.objects.filter(last_read_at__lt=cutoff)
            .order_by("last_read_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not old:
            return 0
        if mark.kept_from is None or mark.kept_from < cutoff:
            # Set with the first deletion below it: from now on what lies before is final.
            mark.kept_from = cutoff
            mark.save(update_fields=["kept_from"])
        for chunk in _chunks(old):
            Reading.objects.filter(pk__in=chunk).delete()
        return len(old)


# --- The mark ---------------------------------------------------------------------------------


def _mark(*, wait: bool) -> RollupMark | None:
    """The mark, locked until the transaction ends (PostgreSQL; SQLite has one writer at a
    time anyway), so that one refresher works at a time. None if another holds it and `wait`
    is false."""
    RollupMark.objects.get_or_create(pk=1)
    return RollupMark.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()


# --- Rebuild and refresh -----------------------------------------------------------------------


def _rebuild(mark: RollupMark, started: datetime) -> dict:
    kept_from = mark.kept_from
    people = _people()
    done = {
        "audiences": snapshot_audiences(started),
        "reach": _sync_reach(None, kept_from, people),
        "articles": _sync_article_months(None, None, kept_from),
        "industries": _sync_industry_months(None, None, kept_from),
        "reader_months": _sync_reader_months(None, people),
        "reader_seen": _sync_reader_seen(None),
    }
    mark.read_after = started - OVERLAP
    mark.save(update_fields=["read_after"])
    return done


def _apply(changed, read_after, kept_from) -> dict:
    """Recompute the rollup rows the changed readings touch.

    An issue's reach is computed again when one of its rows is new (a reader's first opening
    of it, perhaps) or has a channel (a later opening may have just given the reader's earliest
    row its channel); a row without one that was there before (opened again, directly) changes
    nothing there: its time of first opening stays, and a channel is never taken away.

    The months of articles and industries count each row once, in the month of its first
    opening, which never changes: only rows new since the last refresh (first opened after
    `read_after`; the others were counted when they were new) change them, and a reader
    opening an old article again costs nothing there."""
    issues, articles, months = set(), set(), set()
    for _user, issue_id, article_id, first, _last, channel in changed:
        if first > read_after or channel:
            issues.add(issue_id)
        if article_id is not None and first > read_after:
            month = local_month(first)
            if not _is_final(month, kept_from):
                articles.add(article_id)
                months.add(month)
    industries = set(
        Article.industries.through.objects.filter(article_id__in=articles).values_list(
            "industry_id", flat=True
        )
    )
    people = _people()
    return {
        "reach": _sync_reach(issues, kept_from, people),
        "articles": _sync_article_months(articles, months, kept_from) if articles else 0,
        "industries": _sync_industry_months(industries, months, kept_from) if industries else 0,
        "reader_months": _sync_reader_months(changed, people),
        "reader_seen": _sync_reader_seen(changed),
    }


# --- Each rollup ------------------------------------------------------------------------------


def _sync_reach(issue_ids, kept_from, people) -> int:
    """IssueReach of `issue_ids` (None: every issue that went live)."""
    issues = Issue.objects.filter(went_live_at__isnull=False)
    if issue_ids is not None:
        issues = issues.filter(pk__in=issue_ids)
    live = dict(issues.values_list("pk", "went_live_at"))
    final = {pk for pk, at in live.items() if kept_from is not None and at < kept_from}
    if issue_ids is not None:
        # The refresh leaves final issues as they are (a late reader of a two-year-old issue
        # is not added: see the module's docstring).
        for pk in final:
            del live[pk]
        final = set()
    if not live:
        return 0
    readings = Reading.objects.all()
    existing = IssueReach.objects.filter(issue__went_live_at__isnull=False)
    if issue_ids is not None:
        readings = readings.filter(issue_id__in=live)
        existing = existing.filter(issue_id__in=live)
    # Each reader's earliest row of each issue (the per-reader step, in the database); the
    # day and the bucket in Python, the same on both databases.
    firsts = (
        readings.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("issue_id"), F("user_id")],
                order_by=[F("first_read_at").asc(), F("id").asc()],
            )
        )
        .filter(rank=1)
        .values_list("issue_id", "user_id", "first_read_at", "channel")
        .order_by()
    )
    counted = defaultdict(int)
    for issue_id, user_id, first, channel in firsts.iterator(chunk_size=20_000):
        went_live_at = live.get(issue_id)
        if went_live_at is None:
            continue
        day = min(max((first - went_live_at) // DAY, 0), LAST_DAY)
        kind, region = people.get(user_id, UNKNOWN_PERSON)
        counted[(issue_id, day, kind, region, channel)] += 1
    wanted = {key: (n,) for key, n in counted.items()}

    def keep_final(current):
        # A final issue that has its totals keeps them; one without any gets what is left.
        kept = {key[0] for key in current if key[0] in final}
        if not kept:
            return wanted
        merged = {key: value for key, value in wanted.items() if key[0] not in kept}
        merged.update({key: value for key, value in current.items() if key[0] in kept})
        return merged

    return _sync(
        IssueReach,
        ("issue_id", "day", "kind", "region", "channel"),
        ("readers",),
        existing,
        keep_final,
    )


def _sync_article_months(article_ids, months, kept_from) -> int:
    """ArticleMonth of `article_ids` × `months` (None, None: all)."""
    rows = Reading.objects.filter(article__isnull=False)
    existing = ArticleMonth.objects.all()
    if article_ids is not None:
        rows = _within(rows.filter(article_id__in=article_ids), months)
        existing = existing.filter(article_id__in=article_ids, month__in=months)
    counted = (
        rows.annotate(month=_month("first_read_at"))
        .values_list("article_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    wanted = {
        (article_id, month): (n,)
        for article_id, month, n in counted
        if months is None or month in months
    }
    return _sync(
        ArticleMonth,
        ("article_id", "month"),
        ("readers",),
        existing,
        lambda current: _never_lower(wanted, current, kept_from),
    )


def _sync_industry_months(industry_ids, months, kept_from) -> int:
    """IndustryMonth of `industry_ids` × `months` (None, None: all)."""
    rows = Reading.objects.filter(article__isnull=False)
    existing = IndustryMonth.objects.all()
    if industry_ids is not None:
        articles = Article.industries.through.objects.filter(industry_id__in=industry_ids)
        rows = _within(rows.filter(article_id__in=articles.values("article_id")), months)
        existing = existing.filter(industry_id__in=industry_ids, month__in=months)
    follows = set(
        Subscriber.industries.through.objects.values_list("subscriber__user_id", "industry_id")
    )
    # Per reader, so that "by followers" is a lookup in Python rather than a join per row:
    # at most readers × industries × months rows come back.
    counted = (
        rows.annotate(month=_month("first_read_at"), industry=F("article__industries"))
        .filter(industry__isnull=False)
        .values_list("user_id", "industry", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    totals = defaultdict(lambda: [0, 0])
    for user_id, industry_id, month, n in counted.iterator(chunk_size=20_000):
        if industry_ids is not None and (industry_id not in industry_ids or month not in months):
            continue
        total = totals[(industry_id, month)]
        total[0] += n
        if (user_id, industry_id) in follows:
            total[1] += n
    wanted = {key: tuple(value) for key, value in totals.items()}
    return _sync(
        IndustryMonth,
        ("industry_id", "month"),
        ("readings", "by_followers"),
        existing,
        lambda current: _never_lower(wanted, current, kept_from),
    )


def _sync_reader_months(changed, people) -> int:
    """ReaderMonth: add the months of the openings in `changed` (None: of every reading's
    first and last opening). Rows are never removed (see the module's docstring)."""
    if changed is None:
        seen = set()
        for column in ("first_read_at", "last_read_at"):
            seen.update(
                Reading.objects.annotate(month=_month(column))
                .values_list("user_id", "month")
                .distinct()
                .order_by()
            )
        existing = ReaderMonth.objects.all()
    else:
        seen = {
            (user_id, local_month(at))
            for user_id, _issue, _article, first, last, _channel in changed
            for at in (first, last)
        }
        existing = ReaderMonth.objects.filter(
            user_id__in={user for user, _ in seen}, month__in={month for _, month in seen}
        )

    def add(current):
        wanted = dict(current)
        for user_id, month in seen:
            if (user_id, month) not in wanted:
                wanted[(user_id, month)] = people.get(user_id, UNKNOWN_PERSON)
        return wanted

    return _sync(ReaderMonth, ("user_id", "month"), ("kind", "region"), existing, add)


def _sync_reader_seen(changed) -> int:
    """ReaderSeen: the latest opening per reader in `changed` (None: in every reading), never
    earlier than the one recorded."""
    if changed is None:
        latest = dict(
            Reading.objects.values_list("user_id").annotate(last=Max("last_read_at")).order_by()
        )
        existing = ReaderSeen.objects.all()
    else:
        latest = {}
        for user_id, _issue, _article, _first, last, _channel in changed:
            if user_id not in latest or latest[user_id] < last:
                latest[user_id] = last
        existing = ReaderSeen.objects.filter(user_id__in=latest)

    def later(current):
        wanted = dict(current)
        for user_id, last in latest.items():
            if (user_id,) not in wanted or wanted[(user_id,)][0] < last:
                wanted[(user_id,)] = (last,)
        return wanted

    return _sync(ReaderSeen, ("user_id",), ("last_read_at",), existing, later)


# --- Writing only what changed ----------------------------------------------------------------


def _sync(model, keys, values, existing, wanted_given) -> int:
    """Make the rows of `existing` (a query over `model`) what `wanted_given(current)` says,
    current and wanted being {key tuple: value tuple}: delete the rows not wanted, insert or
    update those whose values differ, nothing else. Returns how many rows changed."""
    current, pks = {}, {}
    width = len(keys)
    for pk, *row in existing.values_list("pk", *keys, *values).order_by().iterator(10_000):
        key = tuple(row[:width])
        current[key] = tuple(row[width:])
        pks[key] = pk
    wanted = wanted_given(current)
    gone = [pks[key] for key in current if key not in wanted]
    changed = [key for key, value in wanted.items() if current.get(key) != value]
    for chunk in _chunks(gone):
        model.objects.filter(pk__in=chunk).delete()
    unique = [model._meta.get_field(key).name for key in keys]
    # A few thousand model instances at a time: a first build writes every row.
    for chunk in _chunks(changed, 2_000):
        model.objects.bulk_create(
            [
                model(
                    **dict(zip(keys, key, strict=True)),
                    **dict(zip(values, wanted[key], strict=True)),
                )
                for key in chunk
            ],
            update_conflicts=True,
            unique_fields=unique,
            update_fields=list(values),
        )
    return len(gone) + len(changed)


def _never_lower(wanted, current, kept_from):
    """Months that began before kept_from are final: their rows are never lowered nor
    removed, only filled in where pruning left more than they hold (a rollup lost)."""
    if kept_from is None:
        return wanted
    merged = dict(wanted)
    for key, value in current.items():
        if _is_final(key[1], kept_from):
            found = merged.get(key)
            merged[key] = (
                value if found is None else tuple(map(max, value, found))  # never lower
            )
    return merged


# --- Helpers ----------------------------------------------------------------------------------


def _people() -> dict[int, tuple[str, str]]:
    """Each subscriber's kind and region, by user id."""
    return {
        user_id: (kind, region)
        for user_id, kind, region in Subscriber.objects.values_list("user_id", "kind", "region")
    }


def _month(column):
    return TruncMonth(column, output_field=DateField())


def local_month(moment: datetime) -> date:
    """The first day of `moment`'s month, local time."""
    return timezone.localtime(moment).date().replace(day=1)


def month_begins(month: date) -> datetime:
    return datetime.combine(month, time.min, tzinfo=timezone.get_current_timezone())


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _is_final(month: date, kept_from) -> bool:
    return kept_from is not None and month_begins(month) < kept_from


def _within(rows, months):
    """`rows` first opened within `months` (from the first's start to the last's end). The
    condition on last_read_at follows from it and lets the database use its index."""
    begin = month_begins(min(months))
    end = month_begins(_next_month(max(months)))
    return rows.filter(first_read_at__gte=begin, first_read_at__lt=end, last_read_at__gte=begin)


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
