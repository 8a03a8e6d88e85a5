"""An issue's PDF, rendered once per audience and content revision, stamped per reader.

Rendering the sample issue costs WeasyPrint 0.3–0.8 s (1.6 s in a fresh process); the document
is the same for every reader of an audience but for the reader's mark. So the document without
a mark is kept in Django's cache (Redis in production, files in development) with the value the
database's content counter had before it was rendered (apps.core.revisions), as the page cache
does; every download reads the counter again and renders afresh if anything a reader page shows
changed since: an edited article appears in the next download, and a withdrawn issue is never
served from the cache. Each download then gets its reader's mark stamped onto every page
(apps.reader.printing.stamp).

Access is decided before the cache is asked (the view's mixins and `Issue.objects.visible_to`);
the key names the audience, so a document built for leaders never reaches anyone else. The
cache holds nothing the database cannot rebuild: an unreachable Redis (config.cache) makes
every download a miss, that is a fresh render, never an error.
"""

from typing import NamedTuple

from django.core.cache import cache

from apps.accounts.access import audience
from apps.core.revisions import Counter, read
from apps.reader.printing import print_context, reader_mark, render_pdf, stamp

TIMEOUT = 7 * 24 * 60 * 60


class CachedPdf(NamedTuple):
    # Stored as a plain tuple (see apps.reader.page_cache.CachedPage).
    revision: int
    issue_id: int
    content: bytes


def _usable(found, revision, issue_id) -> bool:
    return (
        isinstance(found, tuple)
        and len(found) == len(CachedPdf._fields)
        and found[0] == revision
        and found[1] == issue_id
        and isinstance(found[2], bytes)
    )


def cache_key(issue, user) -> str:
    return f"pdf:{issue.pk}:{audience(user)}"


def issue_pdf(request, issue) -> bytes:
    """The PDF of `issue` as `request.user`'s audience reads it, marked with the reader's name.

    `issue` must already be one the user may read (the view's `visible_issue()`).
    """
    # The counter before the rows: a change committed in between makes the copy stale, never a
    # stale copy current.
    current = read(Counter.CONTENT)
    key = cache_key(issue, request.user)
    found = cache.get(key)
    if _usable(found, current, issue.pk):
        document = found[2]
    else:
        document = render_pdf(request, issue, print_context(request, issue))
        cache.set(key, tuple(CachedPdf(current, issue.pk, document)), timeout=TIMEOUT)
    return stamp(document, reader_mark(request.user))
