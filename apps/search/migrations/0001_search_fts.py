"""Create the full-text table for the database in use (see apps/search/models.py)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, content, tokenize = 'unicode61')",
    # Title words weigh ten times body words in the ranking.
    "INSERT INTO search_fts(search_fts, rank) VALUES('rank', 'bm25(10.0, 1.0)')",
]
POSTGRESQL = [
    """
    CREATE TABLE search_fts (
        rowid bigint PRIMARY KEY REFERENCES articles_article (id) ON DELETE CASCADE,
        title text NOT NULL,
        content text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A')
            || setweight(to_tsvector('simple', content), 'D')
        ) STORED
    )
    """,
    "CREATE INDEX search_fts_document ON search_fts USING gin (document)",
]


def create(apps, schema_editor):
    statements = SQLITE if schema_editor.connection.vendor == "sqlite" else POSTGRESQL
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_seed_taxonomy_and_sections")]

    operations = [
        migrations.RunPython(create, drop),
    ]
