"""Full-text search over what a reader may see; one interface, SQLite FTS5 or PostgreSQL.

Both backends index the same words and bigrams (apps/search/segmenter.py) and answer the same
question: the visible articles that answer the query (apps/search/query.py), most relevant
first. Ranking happens in the database, which returns one page; nothing but the page reaches
Python, and the work is bounded whatever the size of the archive (see CANDIDATES).
"""

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, Window

from apps.search.fulltext import Relevance
from apps.search.query import MAX_QUERY_LENGTH, clean_query, parse

__all__ = ["MAX_QUERY_LENGTH", "clean_query", "matching_issues", "parse", "search_page"]

# Ranking reads each ranked document whole (about 10 µs each on PostgreSQL), so a query that
# matches most of 100,000 articles cannot rank them all in time. Ranked are: every article
# with the whole query in its title (found from the titles' own small index, up to
# TITLE_CANDIDATES) and the newest CANDIDATES matches. A query with fewer matches than that,
# which is nearly every precise one, is ranked in full.
CANDIDATES = 300
TITLE_CANDIDATES = 300
# Counting stops here: "1000 多篇" says enough, and counting further reads every match.
COUNT_LIMIT = 1000
# Pages past this are not offered: nobody reads them.
MAX_PAGE = 100
ISSUES_SHOWN = 5


def search_page(articles, query, *, number, per_page):
    """Return the page `number` of the articles answering `query`, best first.

    `articles` is a queryset the caller has already limited to what the reader may see. Two
    queries: how many match (up to COUNT_LIMIT + 1), and the page with each result's issue and
    section. A page past the end gives the first. `page.total` is the number of matches
    (`page.more`: there are more than that), `page.bounded` whether only part were ranked.
    """
    matching = articles.filter(search_document__title__matches=query)
    in_title = articles.filter(search_document__title__matches_title=query)
    candidates = Q(pk__in=in_title.order_by("-pk").values("pk")[:TITLE_CANDIDATES]) | Q(
        pk__in=matching.order_by("-pk").values("pk")[:CANDIDATES]
    )
    # FTS5 computes its rank only within a MATCH; PostgreSQL ranks the candidates as they are,
    # where matching them again would read every document.
    rankable = matching if connection.vendor == "sqlite" else articles
    ranked = (
        rankable.filter(candidates)
        .select_related("issue", "section")
        .annotate(relevance=Relevance(query), ranked=Window(Count("pk")))
        .order_by("-relevance", "-issue__published_at", "-pk")
    )
    total = matching.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    number = min(max(number, 1), MAX_PAGE)
    offset = (number - 1) * per_page
    rows = list(ranked[offset : offset + per_page])
    if not rows and number > 1:
        number, offset = 1, 0
        rows = list(ranked[:per_page])
    count = rows[0].ranked if rows else 0
    page = Paginator(_Counted(rows, min(count, MAX_PAGE * per_page)), per_page).page(number)
    page.total, page.more = min(total, COUNT_LIMIT), total > COUNT_LIMIT
    page.bounded = total > count
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
