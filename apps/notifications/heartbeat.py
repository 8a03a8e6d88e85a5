"""The worker's heartbeat: proof of life for health checks and for taking back its mail.

Each worker process writes its row every BEAT_EVERY seconds from a thread of its own, so a
long batch of mail never makes it look dead. A row older than DEAD_AFTER belongs to a process
that was killed or lost its database for that long: the mail it claimed goes back to the queue
(deliveries.resume). Health checks call a worker late after LATE_AFTER.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.utils import timezone

from apps.notifications.models import WorkerHeartbeat
from apps.notifications.reconnect import CONNECTION_ERRORS, drop_connections, first_line

logger = logging.getLogger(__name__)

BEAT_EVERY = 10  # seconds
RETRY_EVERY = 1  # seconds, after a beat the database did not take
DEAD_AFTER = timedelta(seconds=45)
LATE_AFTER = timedelta(minutes=2)
# Rows of processes gone this long are deleted (a restart makes a new one).
FORGET_AFTER = timedelta(days=1)

_this_worker = ""


def this_worker() -> str:
    """The id of this worker process, or "" when this process is not a worker."""
    return _this_worker


def beat() -> None:
    """Record that this worker is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=_this_worker,
        defaults={"beat_at": timezone.now()},
        create_defaults={"host": socket.gethostname(), "pid": os.getpid()},
    )


def start(worker_id: str) -> None:
    """Make this process the worker `worker_id` and beat every BEAT_EVERY seconds."""
    global _this_worker  # one worker per process, set once at its start
    _this_worker = worker_id
    threading.Thread(target=_beat_forever, name="heartbeat", daemon=True).start()


def _beat_forever() -> None:
    while True:
        pause = BEAT_EVERY
        try:
            beat()
        except CONNECTION_ERRORS as error:
            # The database is away: the beat is late, which is the truth. It is tried again
            # each second, so that once the database is back this worker says it is alive
            # before another's minute job could take its claimed mail for a dead worker's.
            pause = RETRY_EVERY
            logger.warning(
                "heartbeat not written, database unavailable: %s",
                first_line(error),
                extra={"event": "heartbeat_missed"},
            )
        finally:
            # A fresh connection for each beat: one broken by a restart is never reused.
            drop_connections()
        time.sleep(pause)


def dead_workers():
    """The ids of workers whose heartbeat stopped (a queryset of worker_id values)."""
    return WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - DEAD_AFTER).values(
        "worker_id"
    )


def newest_beat(*, host: str | None = None):
    """When a worker (on `host`, or anywhere) last said it was alive, or None."""
    beats = WorkerHeartbeat.objects.all()
    if host is not None:
        beats = beats.filter(host=host)
    return beats.order_by("-beat_at").values_list("beat_at", flat=True).first()


def is_late(beat_at) -> bool:
    return beat_at is None or beat_at < timezone.now() - LATE_AFTER


def forget_old() -> None:
    WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - FORGET_AFTER).delete()
