"""The rollups' once-a-minute job, run by the worker on a queue of its own ("insight"): the
audiences of issues that went live, the readings changed since the last run, and the pruning
of readings past READINGS_KEEP_DAYS (apps.insight.rollups)."""

import logging

from django.db import DatabaseError
from django_tasks import task

from apps.insight import rollups
from apps.notifications.reconnect import first_line

logger = logging.getLogger(__name__)


def run_keep_rollups(now=None) -> dict:
    """Each step in its own transaction. A database error (the database away, a lock, a
    deadlock) ends the run, logged: the next minute's run tries again from where the rollups
    stand, since `read_after` only moves with what was committed. (A broken connection is
    closed by the worker before its next task: django-tasks-db's close_old_connections.)"""
    done = {}
    steps = (
        ("audiences", rollups.snapshot_audiences),
        ("refreshed", rollups.refresh),
        ("pruned", rollups.prune),
    )
    for name, step in steps:
        try:
            done[name] = step(now)
        except DatabaseError as error:
            logger.warning(
                "insight rollups not kept this minute (%s): %s",
                name,
                first_line(error),
                extra={"event": "insight_rollups_failed", "step": name},
            )
            done["failed"] = name
            break
    summary = _flat(done)
    if "failed" not in done and any(summary.values()):  # a quiet minute logs nothing
        logger.info("insight rollups kept", extra={"event": "insight_rollups", **summary})
    return done


def _flat(done: dict) -> dict:
    refreshed = done.get("refreshed") or {}
    return {
        "audiences": done.get("audiences"),
        "readings": refreshed.get("readings"),
        "rebuilt": "reach" in refreshed and "readings" not in refreshed,
        "pruned": done.get("pruned"),
    }


@task(queue_name="insight")
def keep_rollups() -> dict:
    return run_keep_rollups()
