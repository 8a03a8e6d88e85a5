"""Full-text search over what a reader may see; one interface, SQLite FTS5 or PostgreSQL.

Both backends index the same words and bigrams (apps/search/segmenter.py) and answer the same
question: the visible articles that answer the query (apps/search/query.py), most relevant
first. Every match is ranked in the database, which returns one page and the number of
matches in one query; nothing but the page reaches Python.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Q, Window

from apps.search.fulltext import Relevance
from apps.search.query import MAX_QUERY_LENGTH, clean_query, parse

__all__ = ["MAX_QUERY_LENGTH", "clean_query", "matching_issues", "parse", "search_page"]

# Pages past this are not offered: nobody reads them, and a deep OFFSET still ranks them all.
MAX_PAGE = 100
ISSUES_SHOWN = 5


def search_page(articles, query, *, number, per_page):
    """Return the page `number` of the articles answering `query`, best first.

    `articles` is a queryset the caller has already limited to what the reader may see. One
    query, with the issue and section of each result; a page past the end gives the first.
    """
    matching = articles.filter(search_document__title__matches=query)
    ranked = (
        matching.select_related("issue", "section")
        .annotate(relevance=Relevance(query), total=Window(Count("pk")))
        .order_by("-relevance", "-issue__published_at", "-pk")
    )
    number = min(max(number, 1), MAX_PAGE)
    offset = (number - 1) * per_page
    rows = list(ranked[offset : offset + per_page])
    if not rows and number > 1:
        number, offset = 1, 0
        rows = list(ranked[:per_page])
    total = rows[0].total if rows else 0
    # The pages offered stop at MAX_PAGE; `page.total` still says how many matched.
    page = Paginator(_Counted(rows, min(total, MAX_PAGE * per_page)), per_page).page(number)
    page.total = total
    return page


def matching_issues(issues, query, *, limit=ISSUES_SHOWN):
    """Return the issues whose title or editor's note holds every part of the query.

    `issues` is already limited to what the reader may see. Issues are few (one or two a
    month), so the notes are searched as they are stored, never stale, in one query.
    """
    condition = Q()
    for group in query.groups:
        for text in group.substrings:
            condition &= Q(title__icontains=text) | Q(editor_note__icontains=text)
    for group in query.excluded:
        for text in group.substrings:
            condition &= ~Q(title__icontains=text) & ~Q(editor_note__icontains=text)
    if not any(group.substrings for group in query.groups):
        return []
    return list(issues.filter(condition).order_by("-published_at", "-pk")[:limit])


class _Counted:
    """One page of rows standing in for all `total` matches, for Django's Paginator."""

    def __init__(self, rows, total):
        self.rows, self.total = rows, total

    def __len__(self):
        return self.total

    def __getitem__(self, _):
        return self.rows
