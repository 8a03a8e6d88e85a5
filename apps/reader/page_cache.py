"""Whole reader pages, cached per audience and content revision.

Published issues change rarely, and most readers of an audience see the same page. A page is
kept with the value the database's content counter had when it was rendered
(apps.core.revisions). Every request reads the counter again (one indexed read) before using
the page. Any committed change to issues, articles, sections, industries or an article's
industries moves it, whoever made it (the admin, a workflow step, `QuerySet.update()`, a shell
in another process, raw SQL, a data migration), so a cached page is never served after the
database changed: never to someone the database would now refuse, and never with an old title.

Pages also follow the clock: a scheduled issue appears at its `published_at` with no write to
move the counter, and no worker has to run for it. A page is kept with the soonest such time
still to come when it was rendered (`revisions.valid_until`, read in the same query as the
counter) and is not served from that time on: the home page, the archive, an industry page and
a search made before a scheduled issue's time show it at that time.

Access is decided before the cache is asked (the view's mixins); the counter only says whether
the page rendered for this audience is still the page the database would render now.

A link from an issue's e-mail or a group card carries `?via=<token>` (apps.core.via). On an
issue's or an article's page it only tells the reading which channel brought the reader, if
it is valid and names the page's issue; it is no part of the page's key and is taken out of
the request before a page is rendered, so it is never in a cached page and makes no variant.
A token grants nothing: the page is the one the reader gets without it.
"""

import hashlib
import math
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone

from apps.accounts.access import audience
from apps.core import via
from apps.core.ids import parse_id
from apps.core.revisions import Counter, read, valid_until
from apps.readership.recording import recently_counted_key, record_reading

TIMEOUT = 24 * 60 * 60


class CachedPage(NamedTuple):
    # Stored as a plain tuple, which any release of the code can unpickle; one left by an
    # earlier release fails `_usable` and is rendered again, instead of failing the request.
    revision: int
    until: float | None  # POSIX time from which the page is stale (None: none to come)
    issue_id: int | None  # None: the page is no reading of an issue (a list)
    article_id: int | None
    content: bytes


def _usable(page, revision, now) -> bool:
    return (
        isinstance(page, tuple)
        and len(page) == len(CachedPage._fields)
        and page[0] == revision
        and (page[1] is None or now.timestamp() < page[1])
    )


def _timeout(until, now) -> int:
    # The cache may drop the page once it can no longer be served.
    if until is None:
        return TIMEOUT
    return max(1, min(TIMEOUT, math.ceil(until - now.timestamp())))


def _drop_via(request) -> None:
    """Take `via` out of the request a page is rendered for: whatever a template makes of the
    query string, the page then holds no reader's token and no channel."""
    if via.PARAMETER not in request.GET:
        return
    kept = request.GET.copy()
    kept.pop(via.PARAMETER)
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()


class CachedPageMixin:
    """Serve a reader page from the cache; see the module's docstring for the guarantee.

    Only pages that look the same for every reader of an audience use it (no per-user parts;
    flashed messages wait for the next page). Subclasses name the page (`page_id()`, with
    whatever of the query string changes it) and, for an issue's or an article's page, say
    which issue and article a view of it is a reading of (`reading_of()`).
    """

    page_kind = ""
    # The query-string parameters a page reads (a list page's filters, its page number). A
    # request is first sent to its canonical address: without any other parameter, each of these
    # once (the last value, the one a page reads) and a page number only as a number. So what a
    # page ignores can neither make it be rendered again (a fresh search at every request, a
    # nonce at a time) nor reach the copy other readers get (the pagination links repeat the
    # query string). None: the page reads no parameter and ignores the query string.
    query_names: tuple[str, ...] | None = None

    def query_key(self) -> str:
        """The page's parameters, digested: a valid, bounded part of a cache key."""
        query = sorted((k, v) for k, v in self.request.GET.lists() if k in self.query_names)
        return hashlib.sha256(repr(query).encode()).hexdigest()[:24]

    def canonical_address(self, request):
        """The page's canonical address (see `query_names`), or None if this request is it."""
        if self.query_names is None:
            return None
        asked = [(k, v) for k, values in request.GET.lists() for v in values]
        kept = [
            (k, values[-1])
            for k, values in request.GET.lists()
            if k in self.query_names and (k != "page" or parse_id(values[-1]) is not None)
        ]
        if kept == asked:
            return None
        return request.path + (f"?{urlencode(kept)}" if kept else "")

    def reading_of(self, obj):
        """(issue id, article id) that opening this page counts as a reading of, or None."""
        return None

    def get(self, request, *args, **kwargs):
        canonical = self.canonical_address(request)
        if canonical is not None:
            return HttpResponseRedirect(canonical)
        # The counter before the rows: a change committed in between makes the page stale,
        # never a stale page current. The time is this request's, read once, and the page's
        # end is the soonest scheduled time read with the counter.
        now = timezone.now()
        current = read(Counter.CONTENT)
        ends = valid_until(Counter.CONTENT)
        until = None if ends is None else ends.timestamp()
        came = via.of_request(request)  # read before the page is rendered without it
        item = f"{self.page_kind}:{self.page_id()}"
        key = f"page:{item}:{audience(request.user)}"
        counted_key = recently_counted_key(request.user, item)
        # One round trip for both: the page, and whether this reader's opening of it was
        # counted a moment ago.
        found = cache.get_many([key, counted_key])
        page = found.get(key)
        if _usable(page, current, now):
            page = CachedPage(*page)
        else:
            _drop_via(request)
            response = super().get(request, *args, **kwargs)  # 404 when not visible
            response.render()
            reading = self.reading_of(getattr(self, "object", None)) or (None, None)
            page = CachedPage(current, until, *reading, response.content)
            cache.set(key, tuple(page), timeout=_timeout(until, now))
        if page.issue_id is not None:
            counted = counted_key in found
            if came is not None and came.issue_id != page.issue_id:
                came = None  # another issue's link: the reader came on their own
            record_reading(
                request.user, page.issue_id, page.article_id, item=item, counted=counted, via=came
            )
        response = HttpResponse(page.content)
        # Internal content: never kept by a shared proxy, revalidated by the browser.
        response["Cache-Control"] = "private, no-cache"
        return response

    def get_context_data(self, **kwargs):
        # Flashed messages are per user: leave them for the next page, not in the cache.
        return {**super().get_context_data(**kwargs), "messages": ()}
