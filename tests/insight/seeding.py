"""A small, varied reading history for the insight tests, with its rollups built.

`seed()` makes three live issues (one went live six hours before a local month began, so its
first day straddles two months; one went live two days ago), a scheduled issue nobody can
read yet, articles in several industries, subscribers of each kind in several regions, among
them one whose subscription ended after the first issue went live, one who subscribed after
it, one whose account is disabled, one who never reads, a reader whose subscription was
deleted (kind "unknown"), and readings of issues and articles through each channel on various
days, one of them a few seconds before its issue went live. Then it rebuilds the rollups
(apps.insight.rollups).

Everything is placed relative to `now` (default: the current time), so that "current
subscribers" (today's date) and the seeded history agree.
"""

from datetime import datetime, time, timedelta
from types import SimpleNamespace

from django.utils import timezone

from apps.articles.models import Article, Industry, Section
from apps.core.via import Source
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory, UserFactory

H = timedelta(hours=1)
D = timedelta(days=1)


def local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def first_of_month_before(day):
    return (day.replace(day=1) - D).replace(day=1)


def live_issue(number, went_live_at, *, title=""):
    return IssueFactory(
        year=2030,
        number=number,
        title=title,
        status=Issue.Status.PUBLISHED,
        published_at=went_live_at - timedelta(seconds=40),
        went_live_at=went_live_at,
    )


def article(issue, position, industries=(), *, section=None):
    item = ArticleFactory(
        issue=issue,
        section=section or Section.objects.order_by("order").first(),
        position=position,
        status=Article.Status.PUBLISHED,
    )
    item.industries.set(industries)
    return item


def read(user, issue, at, *, article=None, channel=Source.DIRECT, last=None, count=1):
    return Reading.objects.create(
        user=user,
        issue=issue,
        article=article,
        first_read_at=at,
        last_read_at=last or at,
        count=count,
        channel=channel,
    )


def seed(now=None, *, rebuild=True):
    """Create the history described above; return its pieces as attributes (issues one, two,
    three; articles a1…a6; industries; the subscribers' users; `now`)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ind = list(Industry.objects.order_by("group__order", "order", "pk")[:4])
    sections = list(Section.objects.order_by("order")[:2])

    # Issue one went live at 18:00 local on the last day of the month before last's month:
    # its day 0 runs into the next month.
    month_two_ago = first_of_month_before(first_of_month_before(today))
    one = live_issue(1, local_midnight(month_two_ago) - 6 * H, title="一")
    two = live_issue(2, local_midnight(first_of_month_before(today)) + 10 * D + 9 * H)
    three = live_issue(3, now - 2 * D, title="三")
    # Scheduled for tomorrow: not live, no readings, no audience.
    later = IssueFactory(year=2030, number=4, status=Issue.Status.PUBLISHED, published_at=now + D)

    a1 = article(one, 1, [ind[0], ind[1]])
    a2 = article(one, 2, [ind[1]], section=sections[-1])
    a3 = article(one, 3, [])
    a4 = article(two, 1, [ind[0]])
    a5 = article(two, 2, [ind[2], ind[0]], section=sections[-1])
    a6 = article(three, 1, [ind[3]])

    long_ago = today - timedelta(days=400)
    one_day = timezone.localdate(one.went_live_at)

    def subscriber(username, kind, region, *, valid_from=long_ago, valid_until=None, follows=()):
        sub = SubscriberFactory(
            user__username=username,
            kind=kind,
            region=region,
            valid_from=valid_from,
            valid_until=valid_until or today + timedelta(days=300),
        )
        sub.industries.set(follows)
        return sub.user

    K, R = Subscriber.Kind, Subscriber.Region
    leader_weidu = subscriber("leader_weidu", K.LEADERSHIP, R.WEIDU, follows=[ind[0]])
    leader_city = subscriber("leader_city", K.LEADERSHIP, R.CITY)
    firm_weidu = subscriber("firm_weidu", K.ENTERPRISE, R.WEIDU, follows=[ind[0], ind[1]])
    firm_yuzhou = subscriber("firm_yuzhou", K.ENTERPRISE, R.YUZHOU, follows=[ind[2]])
    other_changge = subscriber("other_changge", K.OTHER, R.CHANGGE)
    # Could read issue one; the subscription ended two days later, before issue two.
    expired = subscriber(
        "expired_jianan", K.ENTERPRISE, R.JIANAN, valid_until=one_day + timedelta(days=2)
    )
    # Subscribed after issue one went live.
    newcomer = subscriber(
        "newcomer_weidu", K.OTHER, R.WEIDU, valid_from=one_day + timedelta(days=5)
    )
    # A disabled account is never eligible.
    disabled = subscriber("disabled_city", K.ENTERPRISE, R.CITY)
    disabled.is_active = False
    disabled.save(update_fields=["is_active"])
    # A current subscriber who never reads (silent).
    quiet = subscriber("quiet_shifan", K.OTHER, R.SHIFAN)
    # A reader whose subscription was deleted since: counted under "unknown".
    gone = UserFactory(username="gone_reader")

    t1, t2, t3 = one.went_live_at, two.went_live_at, three.went_live_at
    E, W, DT, F = Source.EMAIL, Source.WECOM, Source.DINGTALK, Source.FEISHU

    # Issue one.
    read(leader_weidu, one, t1 + 2 * H, channel=E, last=t1 + 9 * D, count=3)
    read(leader_weidu, one, t1 + 3 * H, article=a1)
    read(leader_weidu, one, t1 + 8 * H, article=a2, last=t1 + 40 * D)  # next month, local
    read(leader_city, one, t1 - timedelta(seconds=30), channel=E)  # before went_live_at: day 0
    read(firm_weidu, one, t1 + 30 * H, article=a1, channel=W)  # day 1, by its article
    read(firm_weidu, one, t1 + 31 * H)
    read(expired, one, t1 + H)
    read(expired, one, t1 + 50 * H, article=a3)
    read(other_changge, one, t1 + 5 * D, article=a2, channel=DT)
    read(gone, one, t1 + 4 * H, channel=F)
    read(newcomer, one, t1 + 20 * D, article=a1)

    # Issue two.
    read(leader_weidu, two, t2 + 25 * H, article=a4, channel=W, last=t2 + 3 * D, count=2)
    read(firm_yuzhou, two, t2 + 10 * timedelta(minutes=1), channel=E)
    read(firm_yuzhou, two, t2 + 2 * H, article=a5)
    read(newcomer, two, t2 + 3 * H)
    read(firm_weidu, two, t2 + 6 * D, article=a4)
    read(firm_weidu, two, t2 + 6 * D + H, article=a5, channel=E)
    read(leader_city, two, t2 + 2 * D + 5 * H, article=a5, channel=DT)

    # Issue three.
    read(leader_city, three, t3 + H, channel=E)
    read(firm_weidu, three, t3 + 20 * H, article=a6)
    read(other_changge, three, t3 + 26 * H, article=a6, channel=F, last=now - H)

    if rebuild:
        from apps.insight.rollups import rebuild as rebuild_rollups

        rebuild_rollups(now=now)

    return SimpleNamespace(
        now=now,
        one=one,
        two=two,
        three=three,
        later=later,
        a1=a1,
        a2=a2,
        a3=a3,
        a4=a4,
        a5=a5,
        a6=a6,
        industries=ind,
        leader_weidu=leader_weidu,
        leader_city=leader_city,
        firm_weidu=firm_weidu,
        firm_yuzhou=firm_yuzhou,
        other_changge=other_changge,
        expired=expired,
        newcomer=newcomer,
        disabled=disabled,
        quiet=quiet,
        gone=gone,
    )
