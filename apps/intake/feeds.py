"""Read a feed: RSS 0.9x, 1.0 and 2.0 and Atom with feedparser, JSON Feed 1.0 and 1.1 here.

feedparser 6.0 has no JSON Feed reader, so JSON Feed is read with `json` and its documented
types checked field by field: a field of the wrong type counts as absent.

The bytes are decoded here (apps.intake.decoding: the header, the XML declaration, then
detection; GB2312 read as GB18030) and given to feedparser as UTF-8, because feedparser reads a
feed declared GB2312 strictly and turns its GBK characters into garbage. They are handed over
as a stream: given bytes or a string, feedparser would open a file or a URL of that name.

A feed that yields entries is read even if it is not well-formed (feedparser's `bozo`); one
that yields none is an error, with the reason in Chinese. Entries without a link are skipped;
relative links are resolved against the feed's address; only http and https are kept; at most
MAX_ENTRIES are read. The HTML fields are cleaned (scripts, styles, handlers removed, images
kept) but are not yet the sanitized HTML a clipping stores: extract or sanitize before storing.
"""

import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import lxml.html
import nh3

from apps.intake.decoding import ReadError, decode
from apps.intake.links import canonical

MAX_ENTRIES = 200
BEIJING = ZoneInfo("Asia/Shanghai")
TITLE_LENGTH = 300  # apps.intake.models.Clipping.title
JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(?:\.\d+)?/?$")
LOOKS_LIKE_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<body[\s>]", re.IGNORECASE)


@dataclass
class Entry:
    url: str  # canonical, absolute, http(s)
    title: str
    published: datetime | None  # aware; Beijing time when the feed gives no offset
    summary_html: str = ""
    content_html: str = ""  # the full text when the feed carries it (content:encoded)


def read_feed(body: bytes, url: str, content_type: str = "") -> list[Entry]:
    """The entries of the feed `body`, fetched from `url`; raise ReadError if none can be read."""
    if not body.strip():
        raise ReadError("订阅源为空")
    try:
        text = decode(body, content_type)
    except ReadError as error:
        raise ReadError("订阅源格式错误：无法识别编码") from error
    if text.lstrip("\ufeff \t\r\n").startswith("{") or "json" in content_type.lower():
        return _read_json_feed(text, url)
    return _read_xml_feed(text, url)


def _read_xml_feed(text: str, url: str) -> list[Entry]:
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,
        },
    )
    if not parsed.entries:
        if LOOKS_LIKE_HTML.search(text[:4096]):
            raise ReadError("订阅源格式错误：该地址返回的是网页，不是 RSS、Atom 或 JSON Feed")
        if parsed.bozo:
            raise ReadError("订阅源格式错误：XML 无法解析")
        if not parsed.version:
            raise ReadError("订阅源格式错误：不是 RSS、Atom 或 JSON Feed")
        return []  # a well-formed feed that has nothing in it yet
    entries, seen = [], set()
    for item in parsed.entries:
        address = _address(item.get("link", ""), url)
        if not address or address in seen:
            continue
        seen.add(address)
        entries.append(
            Entry(
                url=address,
                title=_title(item.get("title", ""), item.get("title_detail", {}).get("type", "")),
                published=_published(item),
                summary_html=_html_of(item.get("summary", ""), _type(item, "summary_detail")),
                content_html=_content(item.get("content", [])),
            )
        )
        if len(entries) == MAX_ENTRIES:
            break
    if not entries and parsed.bozo:
        # Broken XML whose only "entries" are fragments without a link: nothing was read.
        raise ReadError("订阅源格式错误：XML 无法解析")
    return entries


def _type(item: dict, detail: str) -> str:
    return (item.get(detail) or {}).get("type", "text/html")


def _content(contents: list[dict]) -> str:
    # An Atom entry may carry its content in several types; HTML is what an editor reuses.
    ranked = sorted(contents, key=lambda content: "html" not in content.get("type", ""))
    for content in ranked:
        if content.get("value", "").strip():
            return _html_of(content["value"], content.get("type", "text/html"))
    return ""


def _html_of(value: str, content_type: str) -> str:
    if not value.strip():
        return ""
    if "html" not in content_type:
        return _paragraphs(value)
    return nh3.clean(value)


def _paragraphs(text: str) -> str:
    return "".join(
        f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip()
    )


def _title(value: str, content_type: str) -> str:
    if "html" in content_type and value.strip():
        value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
    return " ".join(value.split())[:TITLE_LENGTH]


def _address(link: object, feed_url: str) -> str:
    if not isinstance(link, str) or not link.strip():
        return ""
    try:
        address = canonical(urljoin(feed_url, link.strip()))
    except ValueError:
        return ""
    parts = urlsplit(address)
    return address if parts.scheme in ("http", "https") and parts.hostname else ""


def _published(item: dict) -> datetime | None:
    for field in ("published", "updated", "created"):
        found = parse_datetime(item.get(field, ""))
        if found is not None:
            return found
    # A date written in a way only feedparser understands: it gives UTC.
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = item.get(field)
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def parse_datetime(text: object) -> datetime | None:
    """An RFC 822 (RSS) or ISO 8601 (Atom, JSON Feed, dc:date) date; naive means Beijing."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        try:
            found = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return found if found.tzinfo is not None else found.replace(tzinfo=BEIJING)


def _read_json_feed(text: str, url: str) -> list[Entry]:
    try:
        feed = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ReadError("订阅源格式错误：JSON 无法解析") from error
    if (
        not isinstance(feed, dict)
        or not isinstance(feed.get("version"), str)
        or not JSON_FEED_VERSION.match(feed["version"])
    ):
        raise ReadError("订阅源格式错误：不是 JSON Feed")
    items = feed.get("items")
    if not isinstance(items, list):
        raise ReadError("订阅源格式错误：JSON Feed 缺少 items")
    entries, seen = [], set()
    for item in items:
        if not isinstance(item, dict):
            continue
        address = _address(_string(item, "url") or _string(item, "external_url"), url)
        if not address or address in seen:
            continue
        content = ""
        if _string(item, "content_html").strip():
            content = nh3.clean(_string(item, "content_html"))
        elif _string(item, "content_text").strip():
            content = _paragraphs(_string(item, "content_text"))
        seen.add(address)
        entries.append(
            Entry(
                url=address,
                title=_title(_string(item, "title"), "text/plain"),
                published=parse_datetime(_string(item, "date_published"))
                or parse_datetime(_string(item, "date_modified")),
                summary_html=_paragraphs(_string(item, "summary")),
                content_html=content,
            )
        )
        if len(entries) == MAX_ENTRIES:
            break
    return entries


def _string(item: dict, key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""
