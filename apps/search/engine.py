"""Full-text search over what a reader may see; one interface, SQLite FTS5 or PostgreSQL.

Both backends index the same segmented text (apps/search/segmenter.py) and answer the same
question: the visible articles containing every query word, most relevant first.
"""

from apps.articles.models import Article
from apps.search.fulltext import Relevance
from apps.search.segmenter import query_terms

MAX_QUERY_LENGTH = 100
# Ranking reads every candidate's document. For a query that matches thousands of articles
# (科技, 创新), only the newest this many are ranked: a reader wants the recent ones, and it
# keeps every search fast whatever the size of the archive.
CANDIDATES = 200


def clean_query(raw: str) -> tuple[str, str]:
    """Return the query to run (possibly shortened) and a message for the reader, or ''."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH], f"搜索词过长，已只用前 {MAX_QUERY_LENGTH} 个字搜索。"
    return text, ""


def search(articles, text: str) -> tuple[list[int], list[str]]:
    """Return (ids of the articles containing every word of `text`, best first; the words).

    `articles` is a queryset the caller has already limited to what the reader may see. At
    most CANDIDATES ids come back: the newest matches, ordered by relevance. One query; the
    caller loads only the page it shows (`in_order`).
    """
    terms = query_terms(text)
    if not terms:
        return [], []
    matching = articles.filter(search_document__title__matches=terms)
    newest = matching.order_by("-issue__published_at", "-pk").values("pk")[:CANDIDATES]
    ranked = (
        matching.filter(pk__in=newest)
        .annotate(relevance=Relevance(terms))
        .order_by("-relevance", "-issue__published_at", "-pk")
        .values_list("pk", flat=True)
    )
    return list(ranked), terms


def in_order(ids):
    """Load the articles with these ids, in this order, with what a result line shows."""
    articles = Article.objects.filter(pk__in=ids).select_related("issue", "section")
    by_id = {article.pk: article for article in articles}
    return [by_id[pk] for pk in ids if pk in by_id]
