"""Keep the full-text table current: published articles are in it, nothing else."""

from django.db import connection, transaction
from django.utils.html import strip_tags

from apps.articles.models import Article
from apps.search.models import SearchDocument
from apps.search.segmenter import index_grams, index_terms

BATCH = 500


def refresh(article_ids) -> None:
    """Re-index these articles (or drop them when they are not published)."""
    ids = list(article_ids)
    with transaction.atomic():
        SearchDocument.objects.filter(article_id__in=ids).delete()
        published = Article.objects.filter(pk__in=ids, status=Article.Status.PUBLISHED)
        SearchDocument.objects.bulk_create(_document(a) for a in published.iterator())


def refresh_on_commit(article_ids) -> None:
    """Re-index after the current transaction commits (a rolled-back change indexes nothing)."""
    ids = list(article_ids)
    transaction.on_commit(lambda: refresh(ids))


def rebuild() -> int:
    """Rebuild the whole table; return how many articles it holds."""
    with transaction.atomic():
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
