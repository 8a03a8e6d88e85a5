"""Rendered reader fragments, cached per audience and thrown away when content changes.

Published issues change rarely. The cache keys carry a content generation that every change
(a workflow step, an edit saved in the admin) increments after its transaction commits, so no
worker ever serves a page older than the last committed change.
"""

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

from config.cache import bump, version

GENERATION_KEY = "reader-content-generation"


def generation() -> int:
    return version(GENERATION_KEY)


def scope(audience) -> str:
    """The part of a fragment's cache key that says which content and which readers."""
    return f"{generation()}-{audience}"


def content_changed() -> None:
    """Invalidate every cached reader fragment once the current transaction commits."""
    transaction.on_commit(lambda: bump(GENERATION_KEY))


class CachedPageMixin:
    """Serve a reader page from the cache, rendered once per audience and content generation.

    Only pages that look the same for every reader of an audience use it (no per-user parts;
    flashed messages wait for the next page). Access is still decided on every request before
    the cache is asked, and a page is cached only after it was found visible, so a cached page
    is never shown to someone the database would refuse. Subclasses name the page
    (`page_id()`) and say which issue and article a hit counts as a reading of.
    """

    page_kind = ""

    def get(self, request, *args, **kwargs):
        from apps.subscribers.access import audience
        from apps.subscribers.readership import recently_counted_key, record_reading

        item = f"{self.page_kind}:{self.page_id()}"
        key = f"page:{item}:{audience(request.user)}"
        counted_key = recently_counted_key(request.user, item)
        # One round trip for all three: the page, the generation it must have been made in,
        # and whether this reader's opening of it was counted a moment ago.
        found = cache.get_many([key, GENERATION_KEY, counted_key])
        current = found.get(GENERATION_KEY) or generation()
        cached = found.get(key)
        if cached is None or cached[0] != current:
            response = super().get(request, *args, **kwargs)
            response.render()
            cached = (current, *self.reading_of(self.object), response.content)
            cache.set(key, cached, timeout=24 * 60 * 60)
        _, issue_id, article_id, content = cached
        counted = counted_key in found
        record_reading(request.user, issue_id, article_id, item=item, counted=counted)
        response = HttpResponse(content)
        # Internal content: never kept by a shared proxy, revalidated by the browser.
        response["Cache-Control"] = "private, no-cache"
        return response

    def get_context_data(self, **kwargs):
        # Flashed messages are per user: leave them for the next page, not in the cache.
        return {**super().get_context_data(**kwargs), "messages": ()}
