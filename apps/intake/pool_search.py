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
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from apps.intake.models import Clipping, ClippingDocument, Story
from apps.search.query import Query
from apps.search.segmenter import index_grams, index_terms

# The clipping's fields its document is made of: a save that writes none leaves it as it is.
DOCUMENT_FIELDS = frozenset({"title", "text", "source_name", "author"})
BATCH = 500
# A search keeps the newest matches, as many as the reader search ranks (apps.search.engine's
# CANDIDATES): six pages of the desk, and a word found in most of 100,000 clippings must not
# cost reading them all.
MATCH_LIMIT = 300
# A search looks in the newest FIRST_WINDOW documents, then in older ranges sized by the matches
# found so far, at most WINDOWS ranges before the rest, until it has MATCH_LIMIT matches.
FIRST_WINDOW = 8_192
WINDOWS = 4


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


def search(clippings: QuerySet, query: Query) -> tuple[QuerySet, int]:
    """`clippings` narrowed to the story leads that answer `query` (the newest MATCH_LIMIT), and
    how many those are: the list need not count them again.

    The leads' stories are named too, though the leads imply them: with only the leads' ids,
    PostgreSQL joins those few hundred rows to the stories (for the desk's order) by hashing
    every story, 15-40 ms at 100,000 clippings, instead of looking up each one.
    """
    found = matching(clippings, query)
    narrowed = clippings.filter(
        pk__in=[pk for pk, _ in found], story_id__in={story for _, story in found}
    )
    return narrowed, len(found)


def matching(
    clippings: QuerySet, query: Query, *, limit: int = MATCH_LIMIT
) -> list[tuple[int, int]]:
    """The newest `limit` story leads among `clippings` that answer `query`, newest first, as
    (id, story id) pairs (read once here: as a subquery the search would run again for the
    page's count).

    Only leads are looked in: reprints say what their lead says. Newest by id, the full-text
    table's own order. The newest documents are looked in first, then older ones range by range
    (FIRST_WINDOW, WINDOWS): PostgreSQL checks every document its index finds before it can
    sort them, and a word found in a tenth of 100,000 clippings would have it read ten thousand
    to keep five hundred.
    """
    found = story_leads(clippings).filter(search_document__title__matches=query)
    found = found.order_by("-search_document").values_list("pk", "story_id")
    newest = ClippingDocument.objects.aggregate(newest=Max("clipping_id"))["newest"] or 0
    rows: list[tuple[int, int]] = []
    upper, window = newest, FIRST_WINDOW
    for _ in range(WINDOWS):
        lower = upper - window
        part = (
            found.filter(search_document__gt=_below_newest(newest - lower)) if lower > 0 else found
        )
        if upper < newest:
            part = part.filter(search_document__lte=_below_newest(newest - upper))
        rows += part[: limit - len(rows)]
        if len(rows) >= limit or lower <= 0:
            return rows
        # The next range is as long as the matches so far say holds the rest, and half again,
        # but at most twice what was read (the newest clippings may match less than the older
        # ones); none found reads the rest at once: the word is rare, its matches few.
        read = newest - lower
        wanted = (limit - len(rows)) * read * 3 // (2 * len(rows)) if rows else lower
        window = min(wanted, 2 * read) if rows else lower
        upper = lower
    return rows + list(
        found.filter(search_document__lte=_below_newest(newest - upper))[: limit - len(rows)]
    )


def _below_newest(offset: int) -> RawSQL:
    """The id `offset` below the newest document's, computed in the query.

    Given as a number, the bound would be compared with the table's statistics, which never
    know the newest rows (they are gathered now and then): PostgreSQL would expect a handful in
    the newest range, check each of thousands against the query one by one, 45 ms instead of
    the index's 15. An expression it cannot foresee leaves it to the full-text index.
    """
    table = ClippingDocument._meta.db_table
    return RawSQL(f"(SELECT MAX(rowid) FROM {table}) - %s", [offset])  # noqa: S608, S611 - our table


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
