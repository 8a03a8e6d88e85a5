"""Keep the full-text table current: published articles are in it, nothing else.

The index follows the database, as the caches do: the database marks each article whose
document may have changed (apps/search/marks.py), whoever changed it, and `index_marked` makes
those documents again. It runs right after the commit of a change made through the ORM
(apps/search/signal_handlers.py) and every minute (`publish_due`), which also catches
`QuerySet.update()`, raw SQL and other processes. Every change to the table moves the content
counter in the same transaction, so a search page cached before a re-index is never served
after it.
"""

from django.db import connection, transaction
from django.utils.html import strip_tags

from apps.articles.models import Article
from apps.core.revisions import Counter, bump
from apps.search.models import SearchDocument, StaleDocument
from apps.search.segmenter import index_grams, index_terms

BATCH = 500

# The article's fields a document is made of (`_document`) and whether it is in the index at
# all: a change to any of them marks the article.
DOCUMENT_FIELDS = ("title", "subtitle", "summary", "source", "author", "body", "status")


def index_marked() -> int:
    """Make again the documents of the articles the database marked; return how many.

    Safe to run at any time and in several processes at once: each batch claims its marks
    (others skip them) and deletes them before it reads the articles, so a change committed
    meanwhile either is read or marks its article again.
    """
    done = 0
    while True:
        with transaction.atomic():
            claimed = StaleDocument.objects.select_for_update(skip_locked=True).order_by()
            ids = list(claimed.values_list("article_id", flat=True)[:BATCH])
            if not ids:
                return done
            StaleDocument.objects.filter(article_id__in=ids).delete()
            _write(ids)
        done += len(ids)


def refresh(article_ids) -> None:
    """Re-index these articles now, marked or not (or drop them when they are not published)."""
    ids = list(article_ids)
    with transaction.atomic():
        StaleDocument.objects.filter(article_id__in=ids).delete()
        _write(ids)


def _write(ids) -> None:
    dropped, _ = SearchDocument.objects.filter(article_id__in=ids).delete()
    published = Article.objects.filter(pk__in=ids, status=Article.Status.PUBLISHED)
    made = SearchDocument.objects.bulk_create(_document(a) for a in published.iterator())
    if dropped or made:
        # Searches cached before this change are stale from its commit on.
        bump(Counter.CONTENT)


def rebuild() -> int:
    """Rebuild the whole table; return how many articles it holds."""
    with transaction.atomic():
        StaleDocument.objects.all().delete()
        SearchDocument.objects.all().delete()
        count = 0
        batch = []
        for article in Article.objects.filter(status=Article.Status.PUBLISHED).iterator(
            chunk_size=BATCH
        ):
            batch.append(_document(article))
            if len(batch) == BATCH:
                count += len(SearchDocument.objects.bulk_create(batch))
                batch = []
        count += len(SearchDocument.objects.bulk_create(batch))
        bump(Counter.CONTENT)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES('optimize')")
    return count


def _document(article):
    title = " ".join([article.title, article.subtitle])
    content = " ".join([article.summary, article.source, article.author, strip_tags(article.body)])
    return SearchDocument(
        article_id=article.pk,
        title=index_terms(title),
        content=index_terms(content),
        gram_title=index_grams(title),
        gram_content=index_grams(content),
    )
