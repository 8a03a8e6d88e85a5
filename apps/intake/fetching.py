"""Fetching many addresses politely: one request at a time per host, at least
INTAKE_HOST_INTERVAL apart, and up to INTAKE_CONCURRENCY hosts at once.

Each host has its own queue of jobs, drained by one thread at a time, so a host with many
pages waits only for itself while other hosts go on. Threads only fetch and read (network and
parsing, no database): what they produce comes back to the caller's thread through `results()`,
which does every database write. That keeps SQLite (one writer) and the connection handling
simple, and a failure in one job is a result like any other, never a stopped run.
"""

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


@dataclass
class Done:
    """One finished job: what `work` returned, or the exception it raised."""

    key: Any
    value: Any = None
    error: BaseException | None = None


class PoliteFetcher:
    """Run `work(url)` for each submitted job, politely per host; collect with `results()`.

    Jobs may be submitted from the caller's thread while results are being read (a feed's
    entries are submitted when the feed's result arrives)."""

    def __init__(self, *, concurrency=None, host_interval=None):
        self.interval = settings.INTAKE_HOST_INTERVAL if host_interval is None else host_interval
        self.pool = ThreadPoolExecutor(
            max_workers=concurrency or settings.INTAKE_CONCURRENCY,
            thread_name_prefix="intake",
        )
        self.lock = threading.Lock()
        self.waiting: dict[str, deque] = {}  # host -> jobs not started; present while active
        self.last_request: dict[str, float] = {}
        self.done: queue.Queue[Done] = queue.Queue()
        self.pending = 0  # submitted and not yet read back

    def submit(self, url: str, work: Callable[[str], Any], key: Any) -> None:
        host = urlsplit(url).hostname or ""
        with self.lock:
            self.pending += 1
            jobs = self.waiting.get(host)
            if jobs is not None:  # a thread is draining this host: it will take this too
                jobs.append((url, work, key))
                return
            self.waiting[host] = deque([(url, work, key)])
        self.pool.submit(self._drain, host)

    def results(self, *, stop_at: float | None = None) -> Iterator[Done]:
        """Yield each finished job until none is pending. After `stop_at` (a monotonic
        time), jobs not started yet are dropped, and those running are still awaited."""
        while self.pending:
            if stop_at is not None and time.monotonic() >= stop_at:
                self._drop_waiting()
                if not self.pending:
                    return
            try:
                done = self.done.get(timeout=1)
            except queue.Empty:  # look at the clock again
                continue
            self.pending -= 1
            yield done

    def close(self) -> None:
        self._drop_waiting()
        self.pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _drop_waiting(self):
        with self.lock:
            for jobs in self.waiting.values():
                self.pending -= len(jobs)
                jobs.clear()

    def _drain(self, host):
        while True:
            with self.lock:
                jobs = self.waiting[host]
                if not jobs:
                    del self.waiting[host]  # the next submit starts a new drain
                    return
                url, work, key = jobs.popleft()
            pause = self.last_request.get(host, 0) + self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                self.done.put(Done(key, value=work(url)))
            except Exception as error:  # a result like any other: the run goes on
                self.done.put(Done(key, error=error))
            finally:
                self.last_request[host] = time.monotonic()
