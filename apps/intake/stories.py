"""Stories: reprints of one piece of news grouped, and what a story derives from its clippings.

`place` puts a clipping into the story of its nearest near-duplicate (apps.intake.dedupe), or
into a story of its own. `refresh` recomputes a story from its clippings (the lead, the
earliest, is the original; size; the first time seen; whether any mentions a watch word); the
clippings' saves, deletes and watch-word changes call it (signal handlers below), so the
story follows the database whichever path wrote the clipping.

A writer that changes one clipping several times in a row (ingest's Store.save: the clipping,
its watch words, its story) wraps the changes in `refreshed_once()`: the refreshes they ask
for are made once each at the end of the block, not after every step.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Exists, F, OuterRef
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from apps.intake.models import Clipping, Story

# A reprint that joins a story the editors already sorted takes the story's decision.
INHERITED_STATES = {Clipping.State.IGNORED, Clipping.State.STARRED}

# The stories to refresh at the end of the innermost `refreshed_once()` block of this thread
# (a context variable: each thread, and each request, has its own); None outside one.
_deferred: ContextVar[set[int] | None] = ContextVar("intake_story_refreshes", default=None)


@contextmanager
def refreshed_once():
    """Within the block, `refresh` only notes the story; each story noted is refreshed once
    when the block ends without an error (an error rolls the writes back anyway). Use it
    inside the transaction that writes the clippings, so the stories change with them."""
    if _deferred.get() is not None:  # an outer block refreshes at its end
        yield
        return
    token = _deferred.set(set())
    try:
        yield
        pending = _deferred.get()
    finally:
        _deferred.reset(token)
    for story_id in sorted(pending):
        refresh(story_id)


def place(clipping: Clipping) -> Story:
    """Put `clipping` (saved, with its fingerprint) into its story; return the story."""
    # Imported here: numpy and datasketch are the pipeline's, not every web process's.
    from apps.intake import dedupe

    found = []
    if clipping.fingerprint:
        found = dedupe.matches(bytes(clipping.fingerprint), exclude_pk=clipping.pk)
    dedupe.write_bands(clipping)
    match = found[0] if found else None
    if match is not None:
        story = Story(pk=match.story_id)
        _merge_into(story.pk, {c.story_id for c in found} - {story.pk})
        if clipping.state == Clipping.State.NEW and match.state in INHERITED_STATES:
            clipping.state = match.state
    elif (
        clipping.story_id
        and not Clipping.objects.filter(story=clipping.story_id).exclude(pk=clipping.pk).exists()
    ):
        story = clipping.story  # alone in its story already: keep it
    else:
        story = Story.objects.create(first_seen_at=clipping.fetched_at)
    old = clipping.story_id
    clipping.story = story
    clipping.save(update_fields=["story", "state"])
    if old and old != story.pk:
        refresh(old)
    return story


def _merge_into(story_id: int, others: set[int]) -> None:
    """Fold `others` into `story_id`: the clipping just placed matched them all, so they were
    one story that began apart (a reprint seen before its original, trimmed differently)."""
    if not others:
        return
    Clipping.objects.filter(story__in=others).update(story=story_id)
    for other in others:
        refresh(other)  # empty now: removed


def refresh(story_id: int) -> None:
    """Recompute the story's derived fields from its clippings; remove it when empty.

    Two queries: a story's clippings are few (one piece of news and its reprints), so they
    are read in one and the figures made here."""
    pending = _deferred.get()
    if pending is not None:
        pending.add(story_id)
        return
    watch_links = Clipping.watch_words.through.objects.filter(clipping=OuterRef("pk"))
    rows = list(
        Clipping.objects.filter(story=story_id)
        .order_by(F("published_at").asc(nulls_last=True), "fetched_at", "pk")
        .values_list("pk", "fetched_at", Exists(watch_links))
    )
    if not rows:
        Story.objects.filter(pk=story_id).delete()
        return
    first_seen = min(fetched_at for _, fetched_at, _ in rows)
    Story.objects.filter(pk=story_id).update(
        lead=rows[0][0],
        size=len(rows),
        first_seen_at=first_seen,
        day=timezone.localdate(first_seen),
        watched=any(watched for _, _, watched in rows),
    )


def _clipping_saved(sender, instance, update_fields=None, **kwargs):
    if instance.story_id:
        refresh(instance.story_id)


def _clipping_deleted(sender, instance, **kwargs):
    if instance.story_id:
        refresh(instance.story_id)


def _watch_words_changed(sender, instance, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"} and getattr(instance, "story_id", None):
        refresh(instance.story_id)


def connect() -> None:
    post_save.connect(_clipping_saved, sender=Clipping, dispatch_uid="intake_story_saved")
    post_delete.connect(_clipping_deleted, sender=Clipping, dispatch_uid="intake_story_deleted")
    m2m_changed.connect(
        _watch_words_changed,
        sender=Clipping.watch_words.through,
        dispatch_uid="intake_story_watch_words",
    )
