from django.db import models

from apps.articles.models import Article
from apps.search.fulltext import FullTextField


class SearchDocument(models.Model):
    """One published article's segmented text and bigrams, in the full-text table `search_fts`.

    The table is created by the migrations per database (0001, 0004): an FTS5 virtual table on
    SQLite, a table with two generated, GIN-indexed tsvectors on PostgreSQL. Both keep the
    article id in `rowid`, so Django can join it to articles.
    """

    article = models.OneToOneField(
        Article,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_document",
    )
    title = FullTextField()
    content = FullTextField()
    # The same text as character bigrams (segmenter.index_grams), for substring matching.
    gram_title = FullTextField(default="")
    gram_content = FullTextField(default="")

    class Meta:
        # Managed, so that a flush (tests) empties it with the articles it references; its
        # table is created by migration 0001 per database, never by Django's schema editor.
        db_table = "search_fts"
        verbose_name = "检索文档"
        verbose_name_plural = "检索文档"

    def __str__(self):
        return f"检索文档 #{self.article_id}"


class StaleDocument(models.Model):
    """An article whose search document must be made again: marked by the database itself.

    Triggers on the articles table (apps/search/marks.py) write the row in the same transaction
    as the change, whoever made it; the re-index (indexing.index_marked) takes it away. Not a
    foreign key: a deleted article is marked too, so that its document goes.
    """

    article_id = models.BigIntegerField("文章", primary_key=True)
    # Moved by every further change while marked: the upsert that moves it waits for a re-index
    # that is taking the mark, so a change made meanwhile marks the article again.
    changes = models.PositiveIntegerField("变更次数", default=1)

    class Meta:
        db_table = "search_pending"
        verbose_name = "待重新索引的文章"
        verbose_name_plural = "待重新索引的文章"

    def __str__(self):
        return f"待重新索引 #{self.article_id}"
