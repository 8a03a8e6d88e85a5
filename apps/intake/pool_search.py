"""The pool's full-text search: each clipping's document in `intake_fts`, and the matches.

The documents are made and matched exactly as the reader search's are (apps.search: the same
words and bigrams from apps.search.segmenter, the same `matches` lookup, the same parsed
queries), so a word an editor finds in the desk is found the same way readers find it later.
The table follows the database: a clipping's save writes its document and its deletion removes
it (apps.intake.signal_handlers); `manage.py rebuild_pool_index` makes every document again
after a change the receivers cannot see (`QuerySet.update()`, raw SQL).
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from apps.intake.models import Clipping, ClippingDocument, Story
from apps.search.query import Query
from apps.search.segmenter import index_grams, index_terms

# The clipping's fields its document is made of: a save that writes none leaves it as it is.
DOCUMENT_FIELDS = frozenset({"title", "text", "source_name", "author"})
BATCH = 500
# A search keeps the newest matches, as the reader search ranks the newest candidates: a word
# found in most of 100,000 clippings must not cost reading them all.
MATCH_LIMIT = 500


def story_leads(clippings: QuerySet) -> QuerySet:
    """The clippings that stand for their story: each story's lead (its original).

    Every stored clipping is in a story (ingest places it in the transaction that stores it).
    The lead is found by the stories' index on `lead`, not as `story__lead=F("pk")`: PostgreSQL
    takes that join's two conditions for independent, expects one row, and sorts every story
    instead of walking the desk's index (`story_desk`), 100 times slower at 100,000 clippings.
    The join on `story` is kept inner (`lead` is set) for the same index to order the list.
    """
    return clippings.filter(story__lead__isnull=False).filter(
        Exists(Story.objects.filter(lead=OuterRef("pk")))
    )


def matching(clippings: QuerySet, query: Query, *, limit: int = MATCH_LIMIT) -> QuerySet:
    """The ids of the newest `limit` story leads among `clippings` that answer `query` (rows
    of `pk`; usable as a subquery, or read once as the desk does).

    Only leads are looked in: reprints say what their lead says. Newest by id, the full-text
    table's own order, which lets the database stop after the first matches.
    """
    found = story_leads(clippings).filter(search_document__title__matches=query)
    return found.order_by("-search_document").values("pk")[:limit]


def write(clipping: Clipping) -> None:
    """Make `clipping`'s document again from its saved fields."""
    with transaction.atomic():
        ClippingDocument.objects.filter(clipping_id=clipping.pk).delete()
        ClippingDocument.objects.create(**_document_fields(clipping))


def remove(clipping_id: int) -> None:
    """Remove the document of a deleted clipping (PostgreSQL's foreign key does it too)."""
    ClippingDocument.objects.filter(clipping_id=clipping_id).delete()


def rebuild() -> int:
    """Make every clipping's document again; return how many there are."""
    fields = ("pk", *DOCUMENT_FIELDS)
    with transaction.atomic():
        ClippingDocument.objects.all().delete()
        count = 0
        batch = []
        for clipping in Clipping.objects.only(*fields).iterator(chunk_size=BATCH):
            batch.append(ClippingDocument(**_document_fields(clipping)))
            if len(batch) == BATCH:
                count += len(ClippingDocument.objects.bulk_create(batch))
                batch = []
        count += len(ClippingDocument.objects.bulk_create(batch))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO intake_fts(intake_fts) VALUES('optimize')")
    return count


def needs_writing(update_fields: Iterable[str] | None) -> bool:
    """Whether a save that wrote `update_fields` (None: every field) changes the document."""
    return update_fields is None or not DOCUMENT_FIELDS.isdisjoint(update_fields)


def _document_fields(clipping: Clipping) -> dict:
    # The same order as migration 0004's, which indexed what was stored before this module.
    content = " ".join([clipping.source_name, clipping.author, clipping.text])
    return {
        "clipping_id": clipping.pk,
        "title": index_terms(clipping.title),
        "content": index_terms(content),
        "gram_title": index_grams(clipping.title),
        "gram_content": index_grams(content),
    }
