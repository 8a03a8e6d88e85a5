"""Counters the database moves by itself, so that caches cannot outlive what they copy.

A cache of rows is good only while those rows have not changed. Rather than trusting every
writer to say so (a signal receiver misses `QuerySet.update()`, raw SQL, data migrations and
other processes), the database does: each watched table has triggers that move its counter in
the same transaction as the change, whatever made it. A cache stores the counter's value with
its copy and compares it with the current value, one indexed read, before using the copy.

Apps declare what they watch in their `ready()` (`watch(Model, Counter.CONTENT)`); the triggers
are (re)installed after every `migrate`, so a table rebuilt by a migration gets them back.

A counter starts at a random value, and a restored database is given new ones (`renew`): a
cache outlives a database that is recreated or restored (Redis, the files of a local run), and
must not find that database's counters at values it has seen before with other rows.

Some rows change what readers see with no write at all: a scheduled issue appears when its
`published_at` comes. Apps declare those times too (`watch_clock`), and the same one query that
reads the counters returns the soonest of them (`valid_until`): a copy is good only while its
counter has not moved and that time has not come.
"""

import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.apps import apps as django_apps
from django.core.signals import request_finished, request_started
from django.db import connections, models
from django.db.models.signals import post_migrate
from django.utils import timezone


class Counter(models.IntegerChoices):
    CONTENT = 1, "读者页面所示内容"
    READERS = 2, "用户与订阅"
    INSIGHT = 3, "数据看板的汇总"


# table -> (counter, columns whose updates do not count)
_watched: dict[str, tuple[Counter, tuple[str, ...]]] = {}


def watch(model, counter: Counter, *, ignore: tuple[str, ...] = ()) -> None:
    """Move `counter` on every insert, update and delete of `model`'s rows.

    Updates that touch only the `ignore` columns do not count (a user's `last_login`). The
    model's many-to-many tables are watched too (an article's industries).
    """
    _watched[model._meta.db_table] = (counter, tuple(ignore))
    for field in model._meta.local_many_to_many:
        _watched[field.remote_field.through._meta.db_table] = (counter, ())


# counter -> upcoming(at): a query of one datetime column, soonest first, of the times after
# `at` at which what the counter guards changes by the clock alone
_clocks: dict[Counter, Callable[[datetime], models.QuerySet]] = {}


def watch_clock(counter: Counter, upcoming: Callable[[datetime], models.QuerySet]) -> None:
    """End what `counter` guards also at the times `upcoming(at)` lists (soonest first).

    The times are rows like any other: changing one moves the counter (its table is watched),
    so the soonest time read with a counter's value stays right as long as that value does.
    """
    _clocks[counter] = upcoming


class _Snapshot(NamedTuple):
    values: dict[int, int]
    until: dict[int, datetime | None]


# Within one request, the counters are read once (the signed-in user and the page both need
# them). Reading them before the rows they guard is what matters, and the first read of the
# request is before any of them.
_request = threading.local()


def _snapshot() -> _Snapshot:
    snapshot = getattr(_request, "snapshot", None)
    if snapshot is None:
        snapshot = _read_all(at=timezone.now())
        if getattr(_request, "active", False):
            _request.snapshot = snapshot
    return snapshot


def _read_all(*, at: datetime) -> _Snapshot:
    # One query for the counters and the soonest clock times: a cached page costs no more
    # than before. (Looked up by name: this module is loaded before the models are.)
    revisions = django_apps.get_model("core", "Revision").objects.using("default")
    clocks = {f"until_{int(c)}": models.Subquery(up(at)[:1]) for c, up in _clocks.items()}
    values, until = {}, {}
    for pk, value, *times in revisions.annotate(**clocks).values_list("id", "value", *clocks):
        values[pk] = value
        until = {int(counter): time for counter, time in zip(_clocks, times, strict=True)}
    return _Snapshot(values, until)


def read(counter: Counter) -> int:
    """Return the counter's current value (0 before anything it watches has changed)."""
    return _snapshot().values.get(int(counter), 0)


def valid_until(counter: Counter) -> datetime | None:
    """Return the soonest time, after the counters were read, at which what `counter` guards
    changes by the clock alone (`watch_clock`); None when no such time is to come.

    Read with the counter's value, before the rows: a copy made from those rows is good until
    then at most (a time that came while they were read only ends the copy sooner).
    """
    return _snapshot().until.get(int(counter))


def bump(counter: Counter, using="default") -> None:
    """Move `counter` in the current transaction, for a store no trigger can watch (SQLite's
    FTS5 tables take no triggers): its only writer moves it with each change it makes."""
    with connections[using].cursor() as cursor:
        cursor.execute(_UPSERT.format(counter=int(counter)))


def _request_started(**kwargs):
    _request.active, _request.snapshot = True, None


def _request_finished(**kwargs):
    _request.active, _request.snapshot = False, None


def renew(using="default") -> None:
    """Give every counter a new random value (after a restore: see the module's docstring)."""
    with connections[using].cursor() as cursor:
        for counter in Counter:
            cursor.execute(
                "INSERT INTO core_revision (id, value) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                [int(counter), _random_start()],
            )


def _random_start() -> int:
    return secrets.randbelow(2**52) + 1


def install_triggers(using="default") -> None:
    """Create or replace the triggers of every watched table, and start counters that do not
    exist yet at random values."""
    connection = connections[using]
    install = _postgresql_triggers if connection.vendor == "postgresql" else _sqlite_triggers
    with connection.cursor() as cursor:
        for counter in Counter:
            cursor.execute(
                "INSERT INTO core_revision (id, value) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
                [int(counter), _random_start()],
            )
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_FUNCTION)
        for table, (counter, ignore) in sorted(_watched.items()):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
                if column.name not in ignore
            ]
            for statement in install(connection, table, int(counter), columns, bool(ignore)):
                cursor.execute(statement)


def _installed_after_migrate(sender, using, **kwargs):
    install_triggers(using)


def connect() -> None:
    post_migrate.connect(_installed_after_migrate, dispatch_uid="core-revision-triggers")
    request_started.connect(_request_started, dispatch_uid="core-revision-request-started")
    request_finished.connect(_request_finished, dispatch_uid="core-revision-request-finished")


_UPSERT = (
    "INSERT INTO core_revision (id, value) VALUES ({counter}, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = core_revision.value + 1"
)

_POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION core_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_revision (id, value) VALUES (TG_ARGV[0]::smallint, 1)
    ON CONFLICT (id) DO UPDATE SET value = core_revision.value + 1;
    RETURN NULL;
END
$$
"""


def _postgresql_triggers(connection, table, counter, columns, partial):
    quote = connection.ops.quote_name
    update = f"UPDATE OF {', '.join(quote(c) for c in columns)}" if partial else "UPDATE"
    # One bump per statement: a bulk update of a thousand rows moves the counter once.
    yield (
        f"CREATE OR REPLACE TRIGGER {quote(f'core_revision_{table}')} "
        f"AFTER INSERT OR DELETE OR {update} ON {quote(table)} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION core_revision_bump('{counter}')"
    )


def _sqlite_triggers(connection, table, counter, columns, partial):
    quote = connection.ops.quote_name
    update = f"UPDATE OF {', '.join(quote(c) for c in columns)}" if partial else "UPDATE"
    for name, event in (("insert", "INSERT"), ("update", update), ("delete", "DELETE")):
        trigger = quote(f"core_revision_{table}_{name}")
        yield f"DROP TRIGGER IF EXISTS {trigger}"
        yield (
            f"CREATE TRIGGER {trigger} AFTER {event} ON {quote(table)} "
            f"BEGIN {_UPSERT.format(counter=counter)}; END"
        )
