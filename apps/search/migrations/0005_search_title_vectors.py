"""PostgreSQL: the titles' own small tsvectors, so a title match is found without reading
whole documents (apps/search/engine.py picks the articles to rank with it). SQLite's FTS5
filters by column instead and needs nothing."""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE search_fts ADD COLUMN title_document tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED",
    "ALTER TABLE search_fts ADD COLUMN title_grams tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', gram_title)) STORED",
    "CREATE INDEX search_fts_title_document ON search_fts USING gin (title_document)",
    "CREATE INDEX search_fts_title_grams ON search_fts USING gin (title_grams)",
]
POSTGRESQL_BACK = [
    "ALTER TABLE search_fts DROP COLUMN title_document",
    "ALTER TABLE search_fts DROP COLUMN title_grams",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_BACK:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_search_grams")]

    operations = [migrations.RunPython(forwards, backwards)]
