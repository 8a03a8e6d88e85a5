"""Re-index right after a change through the ORM commits; the database has marked it already.

The marks (apps/search/marks.py) are what makes the index follow the database; these receivers
only make it prompt. A change they do not see (`QuerySet.update()`, raw SQL, another process)
is re-indexed by the next minute job (`publish_due`), and one whose re-index failed keeps its
mark for that job too.
"""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.articles.models import Article
from apps.search.indexing import DOCUMENT_FIELDS, index_marked

# A step that moves twenty articles saves twenty times; after its commit, the first callback
# re-indexes every mark and the others have nothing left to do. Each save takes a ticket; a
# callback whose ticket was issued before the last re-index in this thread began skips it.
# (A rolled-back transaction's callbacks never run: its tickets are simply never used.)
_tickets = threading.local()


def _changed() -> None:
    issued = getattr(_tickets, "issued", 0) + 1
    _tickets.issued = issued
    transaction.on_commit(lambda: _reindex(issued), robust=True)


def _reindex(ticket):
    if ticket <= getattr(_tickets, "covered", 0):
        return
    # Every ticket issued so far in this thread belongs to a transaction that has ended.
    covered = _tickets.issued
    index_marked()
    _tickets.covered = covered


def _article_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or not set(update_fields).isdisjoint(DOCUMENT_FIELDS):
        _changed()


def _article_deleted(sender, instance, **kwargs):
    _changed()


def connect() -> None:
    post_save.connect(_article_saved, sender=Article, dispatch_uid="search-article-saved")
    post_delete.connect(_article_deleted, sender=Article, dispatch_uid="search-article-deleted")
