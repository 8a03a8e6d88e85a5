"""From sources to clippings: a fetching round, and one link clipped by hand.

A round reads each due source (a feed, a list page, or a single link), follows the entries it
does not know yet, and stores each page read as a clipping: its text, a summary draft and
suggested industries (machine-made, marked until an editor saves them), the watch words it
mentions, and its story (reprints of one piece of news are one story).

Fetching and reading happen in PoliteFetcher's threads (network and parsing, no database);
storing happens here, in the caller's thread. Every failure is a source's error in Chinese or
a page skipped, never a stopped round.
"""

import hashlib
import logging
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from apps.articles.models import Industry
from apps.core import outbound
from apps.intake import decoding, extracting, feeds, links, llm, sources, tagging
from apps.intake.dedupe import fingerprint
from apps.intake.fetching import PoliteFetcher
from apps.intake.models import Clipping, Source
from apps.intake.stories import place, refreshed_once
from apps.intake.summarizing import extractive_summary
from apps.intake.watching import WatchList

logger = logging.getLogger(__name__)

SUMMARY_LIMIT = 120
# Pages read and not stored yet, at most. Reading (8 threads) outpaces storing (one thread,
# waiting on the database): unbounded, a round's pages would pile up in memory (their HTML,
# text and parse leftovers) and the reading threads would take the CPU the storing thread
# needs. A reading thread waits for a free place before it fetches.
PAGES_IN_FLIGHT = 16
# How long a thread holding the GIL keeps it while another waits for it (Python's default is
# 5 ms), during a round. The storing thread gives up the GIL at each of its queries and must
# wait that long to get it back from a reading thread that is parsing: at fifteen queries a
# page that was most of the round's time.
SWITCH_INTERVAL = 0.0005


class IntakeError(Exception):
    """A link that could not be clipped; `str(error)` is the reason in Chinese."""


@dataclass
class Listing:
    """What a source lists: the addresses of its articles (newest first, as listed)."""

    urls: list[str] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


@dataclass
class Page:
    """One article page read: its address (after redirects) and what was extracted."""

    url: str
    extracted: extracting.Extracted
    summary: str
    # Computed where the page is read, off the storing thread (which waits on the database).
    fingerprint: bytes = b""
    suggestion: tagging.Suggestion | None = None
    model_summary: bool = False
    model_industries: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What a round did, per source: printed by `fetch_sources`, logged by the worker."""

    source: Source
    listed: int = 0
    new: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # "address: reason" per page not read
    error: str = ""
    not_modified: bool = False
    listing_read: bool = False
    pages_left: int = 0  # submitted and not read back yet

    @property
    def finished(self) -> bool:
        return bool(self.error) or (self.listing_read and not self.pages_left)


# --- Reading (in the fetcher's threads: no database) ------------------------------------------


def read_listing(source: Source) -> Listing:
    if source.kind == Source.Kind.LINK:
        return Listing(urls=[links.canonical(source.url)])
    fetched = outbound.fetch(source.url, etag=source.etag, last_modified=source.last_modified)
    validators = {
        "etag": fetched.headers.get("etag", ""),
        "last_modified": fetched.headers.get("last-modified", ""),
    }
    if fetched.not_modified:
        # A 304 may omit the validators: the ones sent still hold.
        return Listing(
            etag=validators["etag"] or source.etag,
            last_modified=validators["last_modified"] or source.last_modified,
            not_modified=True,
        )
    content_type = fetched.headers.get("content-type", "")
    if source.kind == Source.Kind.FEED:
        urls = [entry.url for entry in feeds.read_feed(fetched.body, fetched.url, content_type)]
    else:
        html = decoding.decode(fetched.body, content_type)
        urls = links.article_links(html, fetched.url, source.link_selector)
    return Listing(urls=list(dict.fromkeys(urls)), **validators)


def read_page(url: str, industries: list[tuple[str, str]], tag=tagging.suggest) -> Page:
    fetched = outbound.fetch(url)
    html = decoding.decode(fetched.body, fetched.headers.get("content-type", ""))
    extracted = extracting.extract(html, fetched.url)
    draft = llm.draft(extracted.title, extracted.text, industries) if llm.enabled() else None
    if draft and draft.summary:
        summary, by_model = draft.summary, True
    else:
        summary, by_model = (
            extractive_summary(extracted.text, extracted.title, SUMMARY_LIMIT),
            False,
        )
    return Page(
        url=links.canonical(fetched.url),
        extracted=extracted,
        summary=summary,
        fingerprint=fingerprint(extracted.text),
        suggestion=tag(extracted.title, extracted.text),
        model_summary=by_model,
        model_industries=draft.industries if draft else [],
    )


# --- Storing (in the caller's thread) ------------------------------------------------------


class Store:
    """Writes pages as clippings. Holds what every page of a round needs (industries, watch
    words) so that each page costs a fixed number of queries."""

    def __init__(self):
        self.industries = {i.slug: i for i in Industry.objects.all()}
        self.watch = WatchList.load()

    def industry_names(self) -> list[tuple[str, str]]:
        return [(slug, industry.name) for slug, industry in self.industries.items()]

    def save(self, page: Page, source: Source | None) -> tuple[Clipping, bool, bool]:
        """Store `page`; return (clipping, created, changed). A known address whose text
        changed updates its clipping (never a second one); an unchanged one is left alone."""
        found = page.extracted
        text_hash = hashlib.sha256(found.text.encode()).hexdigest()
        # The story is refreshed once, at the end, rather than after each step that touches it
        # (the clipping's save, its watch words, its placing): a third of the queries.
        with transaction.atomic(), refreshed_once():
            clipping = Clipping.objects.select_for_update().filter(url=page.url).first()
            created = clipping is None
            if not created and clipping.text_hash == text_hash:
                return clipping, False, False
            now = timezone.now()
            if created:
                clipping = Clipping(url=page.url, fetched_at=now)
            else:
                clipping.changed_at = now
            if source is not None and (created or clipping.source_id is None):
                clipping.source = source
            if created or not clipping.source_name:
                name = source.name if source else found.site_name or urlsplit(page.url).hostname
                clipping.source_name = name[:100]
            clipping.title = (found.title or page.url)[:300]
            clipping.author = found.author[:100]
            clipping.published_at = found.published
            clipping.html, clipping.text = found.html, found.text
            clipping.image_urls = found.image_urls
            clipping.text_hash = text_hash
            clipping.fingerprint = page.fingerprint
            if clipping.summary_origin != Clipping.Origin.EDITOR:
                clipping.summary = page.summary
                clipping.summary_origin = (
                    Clipping.Origin.MODEL if page.model_summary else Clipping.Origin.EXTRACTIVE
                )
            suggestion = None
            if not clipping.industries_reviewed:
                suggestion = page.suggestion or tagging.suggest(found.title, found.text)
                clipping.industry_scores = suggestion.scores
                clipping.tagger_version = suggestion.version
            clipping.save()
            if suggestion is not None:
                chosen = suggestion.chosen or page.model_industries
                if not chosen and source is not None:
                    chosen = [i.slug for i in source.industries.all()]
                industries = [self.industries[s] for s in chosen if s in self.industries]
                if created:  # nothing to compare with: one insert, none when there are none
                    if industries:
                        clipping.industries.add(*industries)
                else:
                    clipping.industries.set(industries)
            watch_words = self.watch.found_in(found.title, found.text)
            if created:
                if watch_words:
                    clipping.watch_words.add(*watch_words)
            else:
                clipping.watch_words.set(watch_words)
            place(clipping)
        return clipping, created, True


# --- A round -------------------------------------------------------------------------------


def run_round(source_list, *, stop_at: float | None = None, force: bool = False) -> list[Report]:
    """Fetch each of `source_list` and the pages it lists; return a report per source.

    Known addresses are not read again, except a single link's (its page may change) and all
    of them with `force`. Pages not started by `stop_at` (monotonic) wait for the next round:
    their source's state is left as it was, so they stay due."""
    store = Store()
    names = store.industry_names()
    tag = tagging.suggester()
    reports = {s.pk: Report(s) for s in source_list}
    places = threading.Semaphore(PAGES_IN_FLIGHT)  # taken by a reader, freed here
    with PoliteFetcher() as fetcher, _quick_switching():
        for source in source_list:
            fetcher.submit(source.url, lambda url, s=source: read_listing(s), ("listing", source))
        try:
            for done in fetcher.results(stop_at=stop_at):
                kind, source = done.key[0], done.key[1]
                report = reports[source.pk]
                if kind == "listing":
                    try:
                        _listed(fetcher, source, report, done, names, tag, force, places)
                    except Exception:  # one source's surprise never stops the round
                        logger.exception("listing not followed: %s", source.url)
                        report.error = "读取失败（内部错误），已记录日志。"
                    continue
                report.pages_left -= 1
                places.release()  # whether read or not, this page holds its place no longer
                if done.error is not None:
                    reason = _reason(done.error)
                    report.skipped.append(f"{done.key[2]}：{reason}")
                    if source.kind == Source.Kind.LINK:  # the page is the source
                        report.error = reason
                else:
                    _stored(store, source, report, done.value)
        finally:
            # Were the loop left early (an error), the reading threads waiting for a place
            # (each one a page still pending) must go on, or closing the fetcher waits forever.
            places.release(fetcher.pending + 1)
    for report in reports.values():
        if report.error:
            sources.record_failure(report.source, report.error)
        elif report.finished:
            sources.record_success(
                report.source, etag=report.source.etag, last_modified=report.source.last_modified
            )
    return list(reports.values())


@contextmanager
def _quick_switching():
    """Threads take turns with the GIL every SWITCH_INTERVAL within the block."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _listed(fetcher, source, report, done, names, tag, force, places):
    if done.error is not None:
        report.error = _reason(done.error)
        return
    listing = done.value
    source.etag, source.last_modified = listing.etag, listing.last_modified
    report.listing_read, report.not_modified = True, listing.not_modified
    wanted = listing.urls
    if not force and source.kind != Source.Kind.LINK:
        known = set(Clipping.objects.filter(url__in=wanted).values_list("url", flat=True))
        wanted = [url for url in wanted if url not in known]
    report.listed = report.pages_left = len(wanted)
    for url in wanted:
        fetcher.submit(url, partial(_read_in_place, places, names, tag), ("page", source, url))


def _read_in_place(places, names, tag, url):
    """Read a page once fewer than PAGES_IN_FLIGHT are waiting to be stored. The place is
    freed by the storing thread when it takes the result (a page or an error)."""
    places.acquire()
    return read_page(url, names, tag)


def _stored(store, source, report, page):
    try:
        _, created, changed = store.save(page, source)
    except Exception:  # one bad page never stops the round; the log has the details
        logger.exception("clipping not stored: %s", page.url, extra={"event": "intake_store"})
        report.skipped.append(f"{page.url}：保存失败")
        return
    if created:
        report.new += 1
    elif changed:
        report.updated += 1


def _reason(error: BaseException) -> str:
    if isinstance(error, (outbound.FetchError, decoding.ReadError)):
        return str(error)
    logger.warning("intake read failed: %r", error, extra={"event": "intake_read"})
    return "读取失败（内部错误），已记录日志。"


def clip_link(url: str) -> Clipping:
    """Clip one address now (添加链接), through the same safe fetch; raise IntakeError."""
    store = Store()
    try:
        page = read_page(links.canonical(url.strip()), store.industry_names())
    except (outbound.FetchError, decoding.ReadError) as error:
        raise IntakeError(str(error)) from error
    except ValueError as error:  # not an address at all
        raise IntakeError("这不是有效的网址。") from error
    clipping, _, _ = store.save(page, None)
    return clipping
