"""Full-text search over what a reader may see; one interface, SQLite FTS5 or PostgreSQL.

Both backends index the same words and bigrams (apps/search/segmenter.py) and answer the same
question: the visible articles that answer the query (apps/search/query.py), most relevant
first. Ranking happens in the database, which returns one page; nothing but the page reaches
Python, and the work is bounded whatever the size of the archive (see CANDIDATES).
"""

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q

from apps.search.fulltext import Relevance
from apps.search.models import SearchDocument
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
COUNT_LIMIT = 300
# Pages past this are not offered: nobody reads them.
MAX_PAGE = 100
ISSUES_SHOWN = 5


def search_page(articles, query, *, number, per_page):
    """Return the page `number` of the articles answering `query`, best first.

    `articles` is a queryset the caller has already limited to what the reader may see. Four
    queries, whatever the size of the archive: the newest matches (up to COUNT_LIMIT + 1,
    which also counts them), the title matches, the candidates' ranking, and the page's
    articles with their issues and sections. A page past the end gives the last.
    `page.total` is the number of matches (`page.more`: there are more than that),
    `page.bounded` whether only part were ranked.
    """
    matching = articles.filter(search_document__title__matches=query)
    # Newest by id: articles are made in the order issues are, and the full-text table's own
    # order lets the database stop after the first matches instead of sorting them all. (In
    # the articles' order, SQLite would run the whole MATCH once per article.)
    by_id = "-search_document"
    newest = list(matching.order_by(by_id).values_list("pk", flat=True)[: COUNT_LIMIT + 1])
    in_title = articles.filter(search_document__title__matches_title=query)
    titled = in_title.order_by(by_id).values_list("pk", flat=True)[:TITLE_CANDIDATES]
    candidates = set(newest[:CANDIDATES]).union(titled)
    count = min(len(candidates), MAX_PAGE * per_page)
    page = Paginator(_Counted(count), per_page).get_page(number)
    offset = (page.number - 1) * per_page
    # The candidates are ranked in the full-text table alone: they are known to be visible,
    # and joining the articles (with their bodies) to every candidate would cost more than the
    # ranking. Only the page's articles are then read, through `articles` again.
    documents = SearchDocument.objects.filter(pk__in=candidates)
    if connection.vendor == "sqlite":
        # FTS5 computes its rank only within a MATCH.
        documents = documents.filter(title__matches=query)
    order = list(
        documents.annotate(relevance=Relevance(query))
        .order_by("-relevance", "-pk")
        .values_list("pk", flat=True)[offset : offset + per_page]
    )
    found = articles.filter(pk__in=order).select_related("issue", "section").in_bulk()
    page.object_list = [found[pk] for pk in order if pk in found]
    total = len(newest)
    page.total, page.more = min(total, COUNT_LIMIT), total > COUNT_LIMIT
    page.bounded = total > len(candidates)
    return page


def matching_issues(issues, query, *, limit=ISSUES_SHOWN):
    """Return the issues whose title or editor's note holds every part of the query.

    `issues` is already limited to what the reader may see. Issues are few (one or two a
    month), so the notes are searched as they are stored, never stale, in one query.
    """
    condition = Q()
    for group in query.groups:
        for text in group.substrings:
            condition &= _in_title_or_note(text)
    for group in query.excluded:
        for text in group.substrings:
            condition &= ~_in_title_or_note(text)
    if not any(group.substrings for group in query.groups):
        return []
    return list(issues.filter(condition).newest_first()[:limit])


def _in_title_or_note(text):
    # Chinese has no case: a text without letters that have one is matched as it is, which
    # spares the database upper-casing every note (a third of the time on PostgreSQL).
    lookup = "contains" if text.upper() == text.lower() else "icontains"
    return Q(**{f"title__{lookup}": text}) | Q(**{f"editor_note__{lookup}": text})


class _Counted:
    """Stands in for `count` rows, for Django's Paginator; the page is loaded separately."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, _):
        return []
