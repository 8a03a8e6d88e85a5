"""PostgreSQL: keep each document's tsvectors in the table's own rows.

A search reads the tsvectors of hundreds of rows (the phrase check of the newest matches, the
ranking). Left to the defaults, a document's 3-4 KB bigram vector was moved to the TOAST table
(it barely compresses), so each row read cost an index lookup and two chunk reads there: 2-3
times the check itself. The plain-text columns, which only the generated vectors read, go out
of line instead (EXTERNAL), and the vectors stay in the row (MAIN, with rows up to a page:
toast_tuple_target). A very long article's vectors still go to the TOAST table when they must.

The UPDATE writes every row again and names a source of each generated vector (PostgreSQL
computes a stored generated column again only when a column it reads is set), so every vector
is computed anew and existing rows take the new layout too. SQLite's FTS5 table is not
affected.
"""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE search_fts SET (toast_tuple_target = 8160)",
    "ALTER TABLE search_fts ALTER COLUMN content SET STORAGE EXTERNAL,"
    " ALTER COLUMN gram_content SET STORAGE EXTERNAL,"
    " ALTER COLUMN document SET STORAGE MAIN, ALTER COLUMN grams SET STORAGE MAIN",
    "UPDATE search_fts SET title = title, gram_title = gram_title",
]
POSTGRESQL_BACK = [
    "ALTER TABLE search_fts RESET (toast_tuple_target)",
    "ALTER TABLE search_fts ALTER COLUMN content SET STORAGE EXTENDED,"
    " ALTER COLUMN gram_content SET STORAGE EXTENDED,"
    " ALTER COLUMN document SET STORAGE EXTENDED, ALTER COLUMN grams SET STORAGE EXTENDED",
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
    dependencies = [("search", "0005_search_title_vectors")]

    operations = [migrations.RunPython(forwards, backwards)]
