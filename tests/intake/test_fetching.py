"""PoliteFetcher: one request at a time per host and at least the interval apart; several
hosts at once; a failing job is a result; a round's deadline drops the jobs not started."""

import itertools
import threading
import time

from apps.intake.fetching import PoliteFetcher


class Recorder:
    def __init__(self, pause=0.05):
        self.pause = pause
        self.lock = threading.Lock()
        self.calls = []  # (host, start, end)

    def __call__(self, url):
        start = time.monotonic()
        time.sleep(self.pause)
        with self.lock:
            self.calls.append((url.split("/")[2], start, time.monotonic()))
        if url.endswith("/fail"):
            raise ValueError("boom")
        return url


def test_one_host_is_asked_one_request_at_a_time_and_the_interval_apart():
    work = Recorder()
    with PoliteFetcher(concurrency=4, host_interval=0.2) as fetcher:
        for n in range(4):
            fetcher.submit(f"http://a.example/{n}", work, n)
        results = list(fetcher.results())

    assert sorted(done.value for done in results) == [f"http://a.example/{n}" for n in range(4)]
    calls = sorted(work.calls, key=lambda call: call[1])
    for before, after in itertools.pairwise(calls):
        assert after[1] >= before[2] + 0.2 - 0.01  # never overlapping, and spaced


def test_different_hosts_are_fetched_at_the_same_time():
    work = Recorder(pause=0.3)
    started = time.monotonic()
    with PoliteFetcher(concurrency=4, host_interval=1) as fetcher:
        for host in "abcd":
            fetcher.submit(f"http://{host}.example/1", work, host)
        list(fetcher.results())

    assert time.monotonic() - started < 0.9  # four hosts of 0.3 s each, not 1.2 s in a row
    assert len({call[0] for call in work.calls}) == 4


def test_a_failing_job_comes_back_as_its_error_and_the_rest_go_on():
    work = Recorder(pause=0)
    with PoliteFetcher(concurrency=2, host_interval=0) as fetcher:
        fetcher.submit("http://a.example/fail", work, "bad")
        fetcher.submit("http://a.example/ok", work, "good")
        results = {done.key: done for done in fetcher.results()}

    assert isinstance(results["bad"].error, ValueError)
    assert results["good"].value == "http://a.example/ok" and results["good"].error is None


def test_jobs_submitted_while_reading_results_are_run_too():
    work = Recorder(pause=0)
    seen = []
    with PoliteFetcher(concurrency=2, host_interval=0) as fetcher:
        fetcher.submit("http://a.example/list", work, "list")
        for done in fetcher.results():
            seen.append(done.key)
            if done.key == "list":
                fetcher.submit("http://b.example/page", work, "page")

    assert seen == ["list", "page"]


def test_after_the_deadline_jobs_not_started_are_dropped():
    work = Recorder(pause=0.2)
    with PoliteFetcher(concurrency=1, host_interval=0) as fetcher:
        for n in range(10):
            fetcher.submit(f"http://a.example/{n}", work, n)
        results = list(fetcher.results(stop_at=time.monotonic() + 0.1))

    assert 1 <= len(results) <= 2
    assert len(work.calls) == len(results)
