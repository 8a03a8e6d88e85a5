"""Rendered reader fragments, cached per audience and thrown away when content changes.

Published issues change rarely. The cache keys carry a content generation that every change
(a workflow step, an edit saved in the admin) increments after its transaction commits, so no
worker ever serves a page older than the last committed change.
"""

import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "reader-content-generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # A fresh series starts from the clock, so it never meets keys of an evicted one.
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        value = cache.get(GENERATION_KEY)
    return value


def scope(audience) -> str:
    """The part of a fragment's cache key that says which content and which readers."""
    return f"{generation()}-{audience}"


def content_changed() -> None:
    """Invalidate every cached reader fragment once the current transaction commits."""
    transaction.on_commit(_bump)


def _bump():
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): start a new series
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
