"""A round under load: the pages read and not stored yet stay few (their memory is bounded),
and storing a changed page refreshes its story once, with the story's figures right."""

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.intake import ingest
from apps.intake.ingest import run_round
from apps.intake.models import Clipping, Source, Story, WatchWord
from tests.intake.pagegen import article_text, rss
from tests.intake.sites import Site
from tests.intake.test_ingest import serve_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.0/8"
    settings.INTAKE_HOST_INTERVAL = 0
    settings.INTAKE_TOTAL_TIMEOUT = 2


@pytest.fixture
def site():
    site = Site()
    yield site
    site.close()


def test_pages_read_ahead_of_storing_stay_bounded(site, monkeypatch):
    pages = 24
    for n in range(pages):
        serve_article(site, f"/n/2024/03/05/{n}.html", f"许昌第{n}号新闻发布", article_text(n))
    site.routes["/rss.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss([(f"第{n}号", site.url(f"/n/2024/03/05/{n}.html")) for n in range(pages)]),
    )
    source = Source.objects.create(name="许昌日报", url=site.url("/rss.xml"), kind="feed")
    monkeypatch.setattr(ingest, "PAGES_IN_FLIGHT", 3)
    lock = threading.Lock()
    waiting, most = 0, 0
    read, save = ingest.read_page, ingest.Store.save

    def counted_read(*args):
        nonlocal waiting, most
        page = read(*args)
        with lock:
            waiting += 1
            most = max(most, waiting)
        return page

    def slow_save(store, page, source):
        nonlocal waiting
        with lock:
            waiting -= 1
        time.sleep(0.02)  # a database slower than the readers
        return save(store, page, source)

    monkeypatch.setattr(ingest, "read_page", counted_read)
    monkeypatch.setattr(ingest.Store, "save", slow_save)

    [report] = run_round([source])

    assert (report.new, report.error, report.skipped) == (pages, "", [])
    assert Clipping.objects.count() == pages
    assert 1 <= most <= 3


def test_storing_a_changed_page_refreshes_its_story_once(site):
    word = WatchWord.objects.create(word="蕾丝头套")
    path = "/w/2024/03/05/1.html"
    serve_article(site, path, "发制品企业新品上市", article_text(40))
    source = Source.objects.create(name="许昌日报", url=site.url(path), kind="link")
    run_round([source])
    story = Clipping.objects.get().story
    assert not story.watched
    serve_article(
        site, path, "发制品企业新品上市（更新）", [*article_text(40), "蕾丝头套产品将扩大产能。"]
    )
    page = ingest.read_page(site.url(path), [])

    with CaptureQueriesContext(connection) as queries:
        clipping, created, changed = ingest.Store().save(page, source)

    assert (created, changed) == (False, True)
    story_table = Story._meta.db_table
    updates = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{story_table}"')]
    assert len(updates) == 1
    story.refresh_from_db()
    assert list(clipping.watch_words.all()) == [word]
    assert (story.watched, story.size, story.lead_id) == (True, 1, clipping.pk)
    assert story.first_seen_at == clipping.fetched_at
