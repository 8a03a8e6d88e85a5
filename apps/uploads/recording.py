"""Which items use which uploaded files, kept current on every save of an issue or article.

The receivers replace an item's rows with what its saved content uses now, so no caller has to
remember it: the admin, the workflow, a history restore and a shell all save through the ORM.
Deleting an item deletes its rows (CASCADE). What a receiver cannot see (`QuerySet.update()`,
`bulk_create()`, plain SQL) is covered twice: the media view confirms every use against the
item's current content, so a row left behind gives nothing away, and `manage.py
record_image_uses` rebuilds the rows from the content.
"""

from django.db import transaction
from django.db.models.signals import post_save

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.uploads.files import files_of_article, files_of_issue
from apps.uploads.models import ImageUse

# The fields whose content names files; a save that writes none of them changes no use.
ISSUE_FIELDS = frozenset({"cover", "editor_note"})
ARTICLE_FIELDS = frozenset({"body"})


def uses_of(item) -> tuple[str, set[str]]:
    """Return the item's column in ImageUse and the files the item uses."""
    if isinstance(item, Issue):
        return "issue", files_of_issue(cover=item.cover.name or "", editor_note=item.editor_note)
    return "article", files_of_article(body=item.body)


def record_uses(item) -> None:
    """Make `item`'s rows the files its content uses now (it must be saved)."""
    column, files = uses_of(item)
    with transaction.atomic():
        rows = ImageUse.objects.filter(**{column: item})
        recorded = set(rows.values_list("path", flat=True))
        if recorded - files:
            rows.filter(path__in=recorded - files).delete()
        if files - recorded:
            ImageUse.objects.bulk_create(
                [ImageUse(path=path, **{column: item}) for path in sorted(files - recorded)],
                # A concurrent save of the same item may have recorded it a moment ago.
                ignore_conflicts=True,
            )


def record_all() -> int:
    """Rebuild every row from the stored content; return how many uses were recorded."""
    rows = []
    for issue in Issue.objects.only("pk", "cover", "editor_note").iterator():
        rows += [ImageUse(path=path, issue=issue) for path in sorted(uses_of(issue)[1])]
    for article in Article.objects.only("pk", "body").iterator():
        rows += [ImageUse(path=path, article=article) for path in sorted(uses_of(article)[1])]
    with transaction.atomic():
        ImageUse.objects.all().delete()
        ImageUse.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _saved(sender, instance, update_fields=None, **kwargs):
    watched = ISSUE_FIELDS if sender is Issue else ARTICLE_FIELDS
    if update_fields is not None and not watched & set(update_fields):
        return  # a workflow step writing the status: the content is what it was
    record_uses(instance)


def connect() -> None:
    for model in (Issue, Article):
        post_save.connect(_saved, sender=model, dispatch_uid=f"uploads-{model._meta.label}")
