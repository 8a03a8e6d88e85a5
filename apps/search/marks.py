"""The database marks the articles whose search document may have changed.

Like the content counter's (apps.core.revisions), and for the same reason: a receiver misses
`QuerySet.update()`, raw SQL, data migrations and other processes; a trigger does not. Each
insert and delete of an article, and each update that changes a field its document is made of
(indexing.DOCUMENT_FIELDS), writes the article's id into `search_pending` (StaleDocument) in
the same transaction as the change, whoever made it. `indexing.index_marked` makes those
documents again and removes the marks.

The triggers are (re)installed after every `migrate` (a table rebuilt by a migration gets them
back) and by the migration that made the table of marks, whose reversal drops them.
"""

from django.db import connections
from django.db.models.signals import post_migrate

from apps.articles.models import Article
from apps.search.indexing import DOCUMENT_FIELDS
from apps.search.models import StaleDocument

NAME = "search_mark"


def install_triggers(using="default") -> None:
    """Create or replace the triggers that mark changed articles (when both tables exist)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {Article._meta.db_table, StaleDocument._meta.db_table} <= tables:
            return
        install = _postgresql if connection.vendor == "postgresql" else _sqlite
        for statement in install(connection):
            cursor.execute(statement)


def drop_triggers(using="default") -> None:
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(Article._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for event in ("insert_delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{NAME}_{event}')} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {NAME}()")
        else:
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{NAME}_{event}')}")


def _installed_after_migrate(sender, using, **kwargs):
    install_triggers(using)


def connect() -> None:
    post_migrate.connect(_installed_after_migrate, dispatch_uid="search-mark-triggers")


def _columns(connection):
    quote = connection.ops.quote_name
    return [quote(Article._meta.get_field(name).column) for name in DOCUMENT_FIELDS]


def _mark(connection, row):
    # A further change while marked moves `changes`: the upsert waits for a re-index that is
    # deleting the mark, then marks the article again (see indexing.index_marked).
    quote = connection.ops.quote_name
    pending, pk = quote(StaleDocument._meta.db_table), quote(Article._meta.pk.column)
    # Names from the models, no input.
    return (
        f"INSERT INTO {pending} (article_id, changes) VALUES ({row}.{pk}, 1) "  # noqa: S608
        f"ON CONFLICT (article_id) DO UPDATE SET changes = {pending}.changes + 1"
    )


def _postgresql(connection):
    quote = connection.ops.quote_name
    table = quote(Article._meta.db_table)
    columns = _columns(connection)
    yield f"""
        CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                {_mark(connection, "OLD")};
            ELSE
                {_mark(connection, "NEW")};
            END IF;
            RETURN NULL;
        END
        $$
    """
    yield (
        f"CREATE OR REPLACE TRIGGER {quote(f'{NAME}_insert_delete')} "
        f"AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {NAME}()"
    )
    # Only updates that change what the document is made of: saving an article's position or
    # its industries leaves its document as it is.
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    yield (
        f"CREATE OR REPLACE TRIGGER {quote(f'{NAME}_update')} "
        f"AFTER UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
        f"WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION {NAME}()"
    )


def _sqlite(connection):
    quote = connection.ops.quote_name
    table = quote(Article._meta.db_table)
    columns = _columns(connection)
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    for event, trigger, row in (
        ("insert", "INSERT", "NEW"),
        ("update", f"UPDATE OF {', '.join(columns)}", "NEW"),
        ("delete", "DELETE", "OLD"),
    ):
        name = quote(f"{NAME}_{event}")
        when = f" WHEN {changed}" if event == "update" else ""
        yield f"DROP TRIGGER IF EXISTS {name}"
        yield (
            f"CREATE TRIGGER {name} AFTER {trigger} ON {table} FOR EACH ROW{when} "
            f"BEGIN {_mark(connection, row)}; END"
        )
