"""Whole reader pages, cached per audience and content generation.

Published issues change rarely, and most readers of an audience see the same page. A page is
kept under the content generation it was rendered in (apps.core.content), which moves after
every committed change of anything a reader page shows, so no worker serves a page older than
the last change made through the ORM.

Access is never taken from the cache. Every request, hit or miss, asks the database once (one
indexed query) which articles of the page's issue the reader may see now. A cached page is
served only when it shows exactly those: a page whose own article or issue the reader may no
longer see, or that lists an article they may no longer see, is rendered afresh (and then
answers 404 or leaves the article out), even when the change bypassed the ORM entirely.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponse

from apps.accounts.access import audience
from apps.core.content import GENERATION_KEY, generation
from apps.readership.recording import recently_counted_key, record_reading

TIMEOUT = 24 * 60 * 60


@dataclass(frozen=True)
class CachedPage:
    generation: int
    issue_id: int
    article_id: int | None
    article_ids: frozenset  # the articles the page shows, or leads to
    content: bytes


class CachedPageMixin:
    """Serve a reader page from the cache; see the module's docstring for the guarantee.

    Only pages that look the same for every reader of an audience use it (no per-user parts;
    flashed messages wait for the next page). Subclasses name the page (`page_id()`), give the
    one query that lists the articles the reader may see on it now (`visible_article_ids()`),
    say when those make the page visible at all (`page_is_visible()`), set
    `shown_article_ids` when they render, and say which issue and article a view is a reading
    of (`reading_of()`).
    """

    page_kind = ""
    shown_article_ids = frozenset()

    def get(self, request, *args, **kwargs):
        visible = self.visible_article_ids()
        item = f"{self.page_kind}:{self.page_id()}"
        key = f"page:{item}:{audience(request.user)}"
        counted_key = recently_counted_key(request.user, item)
        # One round trip for all three: the page, the generation it must have been made in,
        # and whether this reader's opening of it was counted a moment ago.
        found = cache.get_many([key, GENERATION_KEY, counted_key])
        current = found.get(GENERATION_KEY) or generation()
        page = found.get(key)
        if not (
            page is not None
            and page.generation == current
            and page.article_ids == visible
            and self.page_is_visible(visible)
        ):
            response = super().get(request, *args, **kwargs)  # 404 when not visible
            response.render()
            issue_id, article_id = self.reading_of(self.object)
            page = CachedPage(
                current, issue_id, article_id, self.shown_article_ids, response.content
            )
            cache.set(key, page, timeout=TIMEOUT)
        counted = counted_key in found
        record_reading(request.user, page.issue_id, page.article_id, item=item, counted=counted)
        response = HttpResponse(page.content)
        # Internal content: never kept by a shared proxy, revalidated by the browser.
        response["Cache-Control"] = "private, no-cache"
        return response

    def get_context_data(self, **kwargs):
        # Flashed messages are per user: leave them for the next page, not in the cache.
        return {**super().get_context_data(**kwargs), "messages": ()}
