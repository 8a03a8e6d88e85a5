"""The pool's full-text documents follow the clippings (apps.intake.pool_search).

A clipping's save writes its document in the same transaction (so a rolled-back save leaves
none behind), and its deletion removes it. What receivers cannot see (`QuerySet.update()` of
the title or text, raw SQL) is made right by `manage.py rebuild_pool_index`.
"""

from django.db.models.signals import post_delete, post_save

from apps.intake import pool_search
from apps.intake.models import Clipping


def _clipping_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    if not raw and pool_search.needs_writing(update_fields):
        pool_search.write(instance)


def _clipping_deleted(sender, instance, **kwargs):
    pool_search.remove(instance.pk)


def connect() -> None:
    post_save.connect(_clipping_saved, sender=Clipping, dispatch_uid="intake_document_saved")
    post_delete.connect(_clipping_deleted, sender=Clipping, dispatch_uid="intake_document_deleted")
