"""Who read what, for the readership pages of the admin."""

from django.db.models import Count, Max

from apps.articles.models import Article
from apps.core.via import Source
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from apps.subscribers.selectors import current_subscribers


def issue_readership(issue) -> dict:
    """Return who opened `issue` and each of its articles, by kind and region, and the grid
    of leaders × articles showing who has not yet read what."""
    readings = Reading.objects.filter(issue=issue, user__subscriber__isnull=False)
    articles = list(
        Article.objects.filter(issue=issue, status=Article.Status.PUBLISHED).for_contents()
    )
    per_article = dict(
        readings.filter(article__isnull=False)
        .values_list("article")
        .annotate(readers=Count("user", distinct=True))
    )
    leaders = list(
        current_subscribers()
        .filter(kind=Subscriber.Kind.LEADERSHIP)
        .select_related("user")
        .order_by("region", "organization", "user__username")
    )
    read_pairs = set(
        readings.filter(user__in=[s.user_id for s in leaders], article__isnull=False).values_list(
            "user_id", "article_id"
        )
    )
    return {
        "readers": readings.values("user").distinct().count(),
        "audience": current_subscribers().count(),
        "by_kind": _breakdown(readings, "user__subscriber__kind", Subscriber.Kind),
        "by_region": _breakdown(readings, "user__subscriber__region", Subscriber.Region),
        "by_channel": _by_channel(readings),
        "articles": [(article, per_article.get(article.pk, 0)) for article in articles],
        "grid": [
            (
                leader,
                [(article, (leader.user_id, article.pk) in read_pairs) for article in articles],
            )
            for leader in leaders
        ],
    }


def _breakdown(readings, field, choices):
    counts = dict(readings.values_list(field).annotate(n=Count("user", distinct=True)))
    return [(label, counts.get(value, 0)) for value, label in choices.choices]


def _by_channel(readings):
    """[(channel's label, readers)]: the readers whom each channel's links brought to the issue
    or one of its articles, then those whom none did (直接访问). A reader who came through two
    channels counts under both."""
    linked = readings.exclude(channel=Source.DIRECT)
    counts = dict(linked.values_list("channel").annotate(n=Count("user", distinct=True)))
    direct = readings.exclude(user__in=linked.values("user")).values("user").distinct().count()
    rows = [(label, counts.get(value, 0)) for value, label in Source.choices if value]
    return [*rows, (Source.DIRECT.label, direct)]


def reading_history(user, limit=50):
    """The user's most recent readings, newest first, and when they last read anything."""
    rows = Reading.objects.filter(user=user).select_related("issue", "article")
    last_seen = rows.aggregate(last=Max("last_read_at"))["last"]
    return last_seen, list(rows.order_by("-last_read_at")[:limit])


def published_issues(limit=100):
    """The newest published issues, for the readership index."""
    return Issue.objects.filter(status=Issue.Status.PUBLISHED).newest_first()[:limit]
