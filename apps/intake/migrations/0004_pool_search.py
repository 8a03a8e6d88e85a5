"""The pool's full-text table, shaped as the reader search's is in its final form (apps/search
migrations 0001, 0004-0006), and the documents of the clippings already stored.

SQLite: an FTS5 virtual table with the four columns. PostgreSQL: the text columns and four
generated, GIN-indexed tsvectors (the document's words and bigrams, and the title's own), the
vectors kept in the row and the long texts out of it. Both keep the clipping's id in `rowid`.
"""

import django.db.models.deletion
from django.db import migrations, models

import apps.search.fulltext
from apps.search.segmenter import index_grams, index_terms

SQLITE = [
    "CREATE VIRTUAL TABLE intake_fts USING fts5("
    "title, content, gram_title, gram_content, tokenize = 'unicode61')",
    "INSERT INTO intake_fts(intake_fts, rank) VALUES('rank', 'bm25(10.0, 1.0, 5.0, 0.5)')",
]
POSTGRESQL = [
    """
    CREATE TABLE intake_fts (
        rowid bigint PRIMARY KEY REFERENCES intake_clipping (id) ON DELETE CASCADE,
        title text NOT NULL,
        content text NOT NULL,
        gram_title text NOT NULL DEFAULT '',
        gram_content text NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A')
            || setweight(to_tsvector('simple', content), 'D')
        ) STORED,
        grams tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', gram_title), 'A')
            || setweight(to_tsvector('simple', gram_content), 'D')
        ) STORED,
        title_document tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED,
        title_grams tsvector GENERATED ALWAYS AS (to_tsvector('simple', gram_title)) STORED
    ) WITH (toast_tuple_target = 8160)
    """,
    "ALTER TABLE intake_fts ALTER COLUMN content SET STORAGE EXTERNAL,"
    " ALTER COLUMN gram_content SET STORAGE EXTERNAL,"
    " ALTER COLUMN document SET STORAGE MAIN, ALTER COLUMN grams SET STORAGE MAIN",
    "CREATE INDEX intake_fts_document ON intake_fts USING gin (document)",
    "CREATE INDEX intake_fts_grams ON intake_fts USING gin (grams)",
    "CREATE INDEX intake_fts_title_document ON intake_fts USING gin (title_document)",
    "CREATE INDEX intake_fts_title_grams ON intake_fts USING gin (title_grams)",
]
BATCH = 500
INSERT = (
    "INSERT INTO intake_fts (rowid, title, content, gram_title, gram_content)"
    " VALUES (%s, %s, %s, %s, %s)"
)


def forwards(apps, schema_editor):
    sqlite = schema_editor.connection.vendor == "sqlite"
    for statement in SQLITE if sqlite else POSTGRESQL:
        schema_editor.execute(statement)
    # The documents of what is stored already, made as apps.intake.pool_search makes them.
    clipping_model = apps.get_model("intake", "Clipping")
    fields = ("pk", "title", "source_name", "author", "text")
    with schema_editor.connection.cursor() as cursor:
        rows = []
        for clipping in clipping_model.objects.only(*fields).iterator(chunk_size=BATCH):
            content = " ".join([clipping.source_name, clipping.author, clipping.text])
            rows.append(
                [
                    clipping.pk,
                    index_terms(clipping.title),
                    index_terms(content),
                    index_grams(clipping.title),
                    index_grams(content),
                ]
            )
            if len(rows) == BATCH:
                cursor.executemany(INSERT, rows)
                rows = []
        if rows:
            cursor.executemany(INSERT, rows)


def backwards(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS intake_fts")


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_pool")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.CreateModel(
                    name="ClippingDocument",
                    fields=[
                        (
                            "clipping",
                            models.OneToOneField(
                                db_column="rowid",
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                primary_key=True,
                                related_name="search_document",
                                serialize=False,
                                to="intake.clipping",
                            ),
                        ),
                        ("title", apps.search.fulltext.FullTextField()),
                        ("content", apps.search.fulltext.FullTextField()),
                        ("gram_title", apps.search.fulltext.FullTextField(default="")),
                        ("gram_content", apps.search.fulltext.FullTextField(default="")),
                    ],
                    options={
                        "verbose_name": "素材检索文档",
                        "verbose_name_plural": "素材检索文档",
                        "db_table": "intake_fts",
                    },
                ),
            ],
        ),
    ]
