"""Full-text search over what a reader may see; one interface, SQLite FTS5 or PostgreSQL.

Both backends index the same segmented text (apps/search/segmenter.py) and answer the same
question: the visible articles containing every query word, most relevant first.
"""

from apps.articles.models import Article
from apps.search.fulltext import Relevance
from apps.search.segmenter import query_terms

MAX_QUERY_LENGTH = 100


def clean_query(raw: str) -> tuple[str, str]:
    """Return the query to run (possibly shortened) and a message for the reader, or ''."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH], f"搜索词过长，已只用前 {MAX_QUERY_LENGTH} 个字搜索。"
    return text, ""


def search(articles, text: str):
    """Return (articles containing every word of `text`, best first; the words searched).

    `articles` is a queryset the caller has already limited to what the reader may see.
    """
    terms = query_terms(text)
    if not terms:
        return articles.none(), []
    found = (
        articles.filter(search_document__title__matches=terms)
        .annotate(relevance=Relevance(terms))
        .order_by("-relevance", "-issue__published_at", "-pk")
    )
    return found, terms


def visible_results(user, text):
    return search(Article.objects.visible_to(user), text)
