"""Add each document's character bigrams to the full-text table, and index what exists.

SQLite: FTS5 columns cannot be added, so the table is made again with four columns.
PostgreSQL: two text columns and a generated, GIN-indexed tsvector `grams` beside `document`.
Both then re-index the published articles, so a deploy needs no separate rebuild.
"""

from django.db import migrations
from django.utils.html import strip_tags

import apps.search.fulltext
from apps.search.segmenter import index_grams, index_terms

SQLITE = [
    "DROP TABLE IF EXISTS search_fts",
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, content, gram_title, gram_content, tokenize = 'unicode61')",
    # Title words weigh ten times body words; bigram hits count, less than words.
    "INSERT INTO search_fts(search_fts, rank) VALUES('rank', 'bm25(10.0, 1.0, 5.0, 0.5)')",
]
POSTGRESQL = [
    "ALTER TABLE search_fts ADD COLUMN gram_title text NOT NULL DEFAULT ''",
    "ALTER TABLE search_fts ADD COLUMN gram_content text NOT NULL DEFAULT ''",
    """
    ALTER TABLE search_fts ADD COLUMN grams tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', gram_title), 'A')
        || setweight(to_tsvector('simple', gram_content), 'D')
    ) STORED
    """,
    "CREATE INDEX search_fts_grams ON search_fts USING gin (grams)",
]
SQLITE_BACK = [
    "DROP TABLE IF EXISTS search_fts",
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, content, tokenize = 'unicode61')",
    "INSERT INTO search_fts(search_fts, rank) VALUES('rank', 'bm25(10.0, 1.0)')",
]
POSTGRESQL_BACK = [
    "ALTER TABLE search_fts DROP COLUMN grams",
    "ALTER TABLE search_fts DROP COLUMN gram_title",
    "ALTER TABLE search_fts DROP COLUMN gram_content",
]
BATCH = 500


def forwards(apps, schema_editor):
    sqlite = schema_editor.connection.vendor == "sqlite"
    for statement in SQLITE if sqlite else POSTGRESQL:
        schema_editor.execute(statement)
    reindex(apps, schema_editor, grams=True)


def backwards(apps, schema_editor):
    sqlite = schema_editor.connection.vendor == "sqlite"
    for statement in SQLITE_BACK if sqlite else POSTGRESQL_BACK:
        schema_editor.execute(statement)
    reindex(apps, schema_editor, grams=False)


def reindex(apps, schema_editor, *, grams):
    article_model = apps.get_model("articles", "Article")
    columns = "rowid, title, content" + (", gram_title, gram_content" if grams else "")
    holes = ", ".join(["%s"] * (5 if grams else 3))
    insert = f"INSERT INTO search_fts ({columns}) VALUES ({holes})"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_fts")
        rows = []
        published = article_model.objects.filter(status="published")
        for article in published.iterator(chunk_size=BATCH):
            title = " ".join([article.title, article.subtitle])
            content = " ".join(
                [article.summary, article.source, article.author, strip_tags(article.body)]
            )
            row = [article.pk, index_terms(title), index_terms(content)]
            if grams:
                row += [index_grams(title), index_grams(content)]
            rows.append(row)
            if len(rows) == BATCH:
                cursor.executemany(insert, rows)
                rows = []
        if rows:
            cursor.executemany(insert, rows)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_seed_taxonomy_and_sections"),
        ("search", "0003_searchdocument_flushed_with_articles"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AddField(
                    model_name="searchdocument",
                    name="gram_title",
                    field=apps.search.fulltext.FullTextField(default=""),
                ),
                migrations.AddField(
                    model_name="searchdocument",
                    name="gram_content",
                    field=apps.search.fulltext.FullTextField(default=""),
                ),
            ],
        ),
    ]
