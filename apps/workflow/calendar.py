"""The editorial calendar (编辑日历): planned, in-review, scheduled and published issues, and the
articles due by their issue's 截稿日期, as the admin's month view and each staff member's
private iCalendar feed (/calendar/<token>.ics) show them.

Both show a person what the back office shows them (apps.workflow.roles.visible_to_staff), and
only to someone who may open issues there. A feed's token is kept as its digest only.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import acts_as_staff, as_if_verified
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications.issue_mail import absolute
from apps.workflow.models import CalendarFeed
from apps.workflow.roles import visible_to_staff

# What the calendar shows, in the order a day lists them.
PLANNED = "planned"
REVIEW = "review"
SCHEDULED = "scheduled"
PUBLISHED = "published"
DEADLINE = "deadline"
LABELS = {
    DEADLINE: "截稿",
    PLANNED: "计划出刊",
    REVIEW: "待审核",
    SCHEDULED: "定时发布",
    PUBLISHED: "已发布",
}
ORDER = {kind: place for place, kind in enumerate(LABELS)}
UNFINISHED = (Issue.Status.DRAFT, Issue.Status.REVIEW)
DUE = (Article.Status.DRAFT, Article.Status.REVIEW)

# The months one can page through: the years an issue may have (Issue.year's validators).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")

# How far back a feed reaches: a calendar app keeps what it showed before.
FEED_PAST = timedelta(days=366)
# Longer than any token we make; a longer one is refused before it is hashed.
TOKEN_MAX_LENGTH = 100


@dataclass
class Entry:
    """One thing on one day: an issue's plan, publication or deadline."""

    day: date
    kind: str
    issue: Issue
    at: datetime | None = None  # the time of a publication
    articles: list = field(default_factory=list)  # a deadline's articles still due

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def title(self) -> str:
        text = str(self.issue)
        if self.issue.title:
            text += f"：{self.issue.title}"
        if self.issue.theme:
            text += f"（专题：{self.issue.theme}）"
        return text

    @property
    def url(self) -> str:
        return reverse("admin:issues_issue_change", args=[self.issue.pk])


def may_use_calendar(user) -> bool:
    """Return whether `user` has a calendar: staff who may open issues in the back office."""
    return acts_as_staff(user) and user.has_perm("issues.view_issue")


def entries(user, first: date, last: date | None = None) -> list[Entry]:
    """Return what `user` sees on the calendar from `first` to `last` (both included; no end
    when `last` is None), day by day."""
    if not may_use_calendar(user):
        return []
    issues = visible_to_staff(user, Issue.objects.all())
    found = []

    planned = issues.filter(status__in=UNFINISHED, **_within("planned_date", first, last))
    for issue in planned:
        kind = REVIEW if issue.status == Issue.Status.REVIEW else PLANNED
        found.append(Entry(issue.planned_date, kind, issue))

    now = timezone.now()
    published = issues.filter(status=Issue.Status.PUBLISHED, published_at__gte=_start_of(first))
    if last is not None:
        published = published.filter(published_at__lt=_start_of(last + timedelta(days=1)))
    for issue in published:
        kind = SCHEDULED if issue.published_at > now else PUBLISHED
        at = timezone.localtime(issue.published_at)
        found.append(Entry(at.date(), kind, issue, at=at))

    deadlines = list(issues.filter(status__in=UNFINISHED, **_within("deadline", first, last)))
    due = {issue.pk: [] for issue in deadlines}
    if deadlines and user.has_perm("articles.view_article"):
        articles = visible_to_staff(
            user, Article.objects.filter(issue__in=deadlines, status__in=DUE)
        ).order_by("section__order", "position", "pk")
        for article in articles:
            article.admin_url = reverse("admin:articles_article_change", args=[article.pk])
            due[article.issue_id].append(article)
    found += [Entry(issue.deadline, DEADLINE, issue, articles=due[issue.pk]) for issue in deadlines]

    found.sort(
        key=lambda e: (
            e.day,
            ORDER[e.kind],
            e.at.timestamp() if e.at else 0,
            e.issue.year,
            e.issue.number,
        )
    )
    return found


def _within(name, first, last):
    lookups = {f"{name}__gte": first}
    if last is not None:
        lookups[f"{name}__lte"] = last
    return lookups


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


# --- the month view --------------------------------------------------------------------------


def parse_month(value):
    """Return (year, month) for "2026-12", or None for anything else."""
    match = MONTH.fullmatch(value or "")
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return year, month


def month_weeks(year, month) -> list[list[date]]:
    """The weeks (Monday first) that hold the days of the month."""
    first = date(year, month, 1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        weeks.append([start + timedelta(days=n) for n in range(7)])
        start += timedelta(days=7)
    return weeks


def next_month(year, month, step):
    """The month `step` (±1) months away, as "2026-12", or None beyond the years one may page."""
    year, month = divmod(year * 12 + month - 1 + step, 12)
    month += 1
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{year}-{month:02d}"


# --- the private feed ------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renew_feed(user) -> str:
    """Make `user`'s feed token, revoking the one they had, and return it: the only time it is
    known, since only its digest is kept."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_digest": token_digest(token), "created_at": timezone.now()}
    )
    return token


def revoke_feed(user) -> bool:
    """Remove `user`'s feed; False when they had none."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def feed_owner(token):
    """Return the user whose feed `token` opens, or None: a wrong or revoked token, or an owner
    who is no longer active staff or may no longer open issues."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    feed = (
        CalendarFeed.objects.select_related("user").filter(token_digest=token_digest(token)).first()
    )
    if feed is None:
        return None
    owner = feed.user
    # The token stands in for the owner's second factor: it is made on an admin page, which
    # only a session past that factor reaches, and it opens nothing but this read-only list.
    # Without this, acts_as_staff refuses every user loaded outside a verified request.
    owner = as_if_verified(owner)
    return owner if may_use_calendar(owner) else None


def feed_ics(user, today=None) -> bytes:
    """`user`'s calendar as iCalendar: titles and admin links only, never a text's body."""
    # Loaded here: only the feed's requests need it, not every web process.
    from icalendar import Calendar, Event

    today = today or timezone.localdate()
    now = timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    calendar = Calendar.new(
        prodid=f"-//{settings.PUBLICATION_NAME}//编辑日历//ZH",
        name=f"《{settings.PUBLICATION_NAME}》编辑日历",
    )
    # How often a calendar app asks again: RFC 7986's property, and the one Outlook reads.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for entry in entries(user, today - FEED_PAST):
        link = absolute(entry.url)
        lines = [link]
        if entry.kind == DEADLINE and entry.articles:
            lines += ["", "尚未审核通过的文章："]
            for article in entry.articles:
                lines += [f"- {article.title}", f"  {absolute(article.admin_url)}"]
        if entry.at is None:
            start, end = entry.day, entry.day + timedelta(days=1)
        else:
            # In UTC: a time in a named zone would need that zone's VTIMEZONE definition.
            start, end = entry.at.astimezone(UTC), None
        # One event per issue and kind of date: a scheduled issue's event becomes its
        # publication's, and a moved date moves the event.
        kind = {REVIEW: PLANNED, SCHEDULED: PUBLISHED}.get(entry.kind, entry.kind)
        calendar.add_component(
            Event.new(
                uid=f"issue-{entry.issue.pk}-{kind}@{host}",
                stamp=now,
                start=start,
                end=end,
                summary=f"{entry.label}：{entry.title}",
                description="\n".join(lines),
                url=link,
            )
        )
    return calendar.to_ical()
