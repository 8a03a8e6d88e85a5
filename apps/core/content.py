"""The content generation: one counter that moves whenever anything a reader page shows changes.

Reader pages are cached under the generation they were rendered in. The counter moves by
construction, never because a caller remembered to move it:

- a model that readers see declares `objects = ContentQuerySet.as_manager()` (or a subclass);
  its bulk `update()`, `delete()` and `bulk_create()` move the counter, and `connect_receivers()`
  (run once at start-up) makes every save, delete and many-to-many change of it move it too;
- every `migrate` moves it, since data migrations write through historical models that have
  neither the manager nor the receivers.

It moves when the transaction commits: a page rendered from the old rows before the commit is
stored under the old generation and never served again.
"""

from django.apps import apps
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from apps.core.versions import bump, version

GENERATION_KEY = "reader-content-generation"


def generation() -> int:
    return version(GENERATION_KEY)


def content_changed() -> None:
    """Invalidate every cached reader page once the current transaction commits."""
    transaction.on_commit(_bump)


def _bump():
    bump(GENERATION_KEY)


class ContentQuerySet(models.QuerySet):
    """The queryset of a model that reader pages show: bulk writes invalidate those pages."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            content_changed()
        return rows

    update.alters_data = True

    def delete(self):
        result = super().delete()
        if result[0]:
            content_changed()
        return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            content_changed()
        return created

    bulk_create.alters_data = True


def content_models() -> list:
    """Every installed model whose default manager is a ContentQuerySet."""
    return [
        model
        for model in apps.get_models()
        if isinstance(model._default_manager.all(), ContentQuerySet)
    ]


def _changed(sender, **kwargs):
    content_changed()


def _m2m_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        content_changed()


def _migrated(sender, **kwargs):
    _bump()


def connect_receivers() -> None:
    """Connect the receivers for every content model and its many-to-many relations."""
    for model in content_models():
        post_save.connect(_changed, sender=model, dispatch_uid=f"content-save-{model._meta}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"content-delete-{model._meta}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"content-m2m-{through}")
    post_migrate.connect(_migrated, dispatch_uid="content-migrate")
