"""Waiting out a lost database connection, in the worker.

PostgreSQL restarting or stopping for a while must mean "later" for the worker, never an exit:
what needs the database is tried again, with growing pauses, once the connection is back. Each
attempt is logged as one line (JSON in production), so an operator sees the outage and its end.
"""

import logging
import time
from collections.abc import Callable, Iterator
from functools import wraps
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# What psycopg2 and sqlite3 raise when the server is gone, restarting, refusing connections or
# (SQLite) the file is locked; Django wraps them in these two.
CONNECTION_ERRORS = (OperationalError, InterfaceError)
FIRST_PAUSE = 0.5  # seconds
LONGEST_PAUSE = 10.0

T = TypeVar("T")


def pauses() -> Iterator[float]:
    """The pauses between attempts: doubling from FIRST_PAUSE up to LONGEST_PAUSE."""
    pause = FIRST_PAUSE
    while True:
        yield pause
        pause = min(pause * 2, LONGEST_PAUSE)


def drop_connections() -> None:
    """Close this thread's connections, so that the next query opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except CONNECTION_ERRORS:
            pass  # it was already broken: closing is all we wanted


def first_line(error: Exception) -> str:
    """The error's first line: a log line stays one line, without the server's hints."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def wait_for_database(error: Exception, attempt: int, pause: float, *, doing: str) -> None:
    """Log one attempt that failed, drop the broken connections and pause."""
    logger.warning(
        "database unavailable while %s (attempt %d), retrying in %.1f s: %s",
        doing,
        attempt,
        pause,
        first_line(error),
        extra={"event": "database_unavailable", "attempt": attempt, "retry_in_s": pause},
    )
    drop_connections()
    time.sleep(pause)


def until_connected(action: Callable[[], T], *, doing: str) -> T:
    """Return `action()`, calling it again after each lost connection until it succeeds.

    Only outside a transaction: inside one, what was done before the loss is gone, so the
    error goes up to whoever opened the transaction.
    """
    for attempt, pause in enumerate(pauses(), start=1):
        try:
            result = action()
        except CONNECTION_ERRORS as error:
            if any(c.in_atomic_block for c in connections.all(initialized_only=True)):
                raise
            wait_for_database(error, attempt, pause, doing=doing)
            continue
        if attempt > 1:
            logger.info(
                "database available again while %s (after %d attempts)",
                doing,
                attempt,
                extra={"event": "database_available", "attempt": attempt},
            )
        return result
    raise AssertionError("unreachable: pauses() never ends")


def survives_outages(function: Callable[..., T]) -> Callable[..., T]:
    """Make `function` wait out a lost database connection (see until_connected)."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        return until_connected(lambda: function(*args, **kwargs), doing=function.__name__)

    return wrapper
