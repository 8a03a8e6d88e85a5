"""Who read what, for the readership pages of the admin."""

from django.db.models import Count, Max

from apps.articles.models import Article
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


def reading_history(user, limit=50):
    """The user's most recent readings, newest first, and when they last read anything."""
    rows = Reading.objects.filter(user=user).select_related("issue", "article")
    last_seen = rows.aggregate(last=Max("last_read_at"))["last"]
    return last_seen, list(rows.order_by("-last_read_at")[:limit])


def published_issues(limit=100):
    """The newest published issues, for the readership index."""
    return Issue.objects.filter(status=Issue.Status.PUBLISHED).newest_first()[:limit]
