"""Read an article page: its main text, title, author, date, images and site name.

trafilatura finds the main text and the metadata (`bare_extraction`, as its authors advise
for structured access): its own extractor, with readability and jusText as fallbacks when that
finds too little. Options, and why:
- `favor_precision`: a clipping with a share bar or a 相关阅读 list in it is worse than one that
  misses a caption; the editor has the original link beside the text.
- `include_comments=False`: readers' comments are not the article.
- `include_images`, `include_tables`, `include_formatting`: figures, tables and emphasis are
  part of what an editor reuses.
- the fallbacks (readability, jusText) run only when trafilatura's own extractor found too
  little: each page is read first with `fast=True`, which skips them, and again with them when
  what it found is what they would replace (nothing, less than FULL_READ_BELOW characters, or
  no paragraph text, as on the pages of TRS-made government sites with paragraphs in bare
  <div>s). They cost about as much as the rest of the extraction, and on an article page
  with paragraphs they change nothing.

Dates: trafilatura's metadata asks htmldate for the date without its extensive search (which
reads "2024年度" in a paragraph as 1 January 2024); only when that finds none does htmldate
search extensively, and its answer counts only if the page or its address shows that day.
A date without a time takes the time printed beside it (发布时间：2024-03-05 10:20), and a
naive time is Beijing time.

What trafilatura leaves of the page's frame is removed: short blocks that are 责任编辑, 分享到,
扫一扫, 打印本页, a breadcrumb or a 版权所有/ICP line, a 相关阅读 (相关新闻, 推荐阅读…) heading
and everything after it, one-column layout tables; and the headline when it opens the text,
since it is kept as the title.

Chinese pages carry their byline in text, not markup: "来源：科技日报 作者：张三"; the author is
read from there when trafilatura finds none, with the labels removed. Government pages carry
ArticleTitle and SiteName meta tags (the national website standard), which are believed first.

The HTML kept goes through the project's sanitizer, which keeps no remote image address: the
n-th `<img>` left in `html` stands for `image_urls[n]`, so the article made later can put the
re-encoded copy in its place.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import htmldate
import lxml.html
from lxml import etree
from trafilatura import bare_extraction

from apps.core.richtext import sanitize_html
from apps.intake.decoding import ReadError

BEIJING = ZoneInfo("Asia/Shanghai")
MIN_TEXT_CHARS = 50
# The columns that will hold these (apps.intake.models.Clipping, Source).
TITLE_LENGTH, AUTHOR_LENGTH, SITE_NAME_LENGTH = 300, 100, 100
LONGEST_BYLINE = 40  # longer is a sentence caught by mistake, not a name

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
EXTRACTION = {
    "fast": True,
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": True,
    "include_formatting": True,
    "include_links": False,
    "with_metadata": True,
}
# Below this many characters of text found without the fallbacks, the page is read again with
# them: twice trafilatura's MIN_EXTRACTED_SIZE, the length under which they may be preferred
# for having found more.
FULL_READ_BELOW = 500
DATE_SEARCH = {"extensive_search": False, "original_date": True, "outputformat": DATE_FORMAT}

# A text may carry characters XML forbids (lxml refuses them) and an encoding declaration
# (lxml refuses one in an already decoded string).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")

# Between a headline and the site's name in <title>: 标题_栏目_网站, 标题--网站, 标题 | 网站.
TITLE_SEPARATOR = re.compile(r"\s*(?:_|\||｜|--+|\s[-–—]\s)\s*")
HEADLINES = etree.XPath("//h1|//h2|//h3|//*[contains(@class, 'title') or contains(@id, 'title')]")
BYLINE = re.compile(r"(?:作者|记者|撰稿|撰文|(?<![\u4e00-\u9fff])文)\s*[：:/]\s*")
AFTER_NAMES = re.compile(
    r"\s*(?:来源|发布|时间|日期|责任编辑|责编|编辑|浏览|阅读|点击|字号|【|\d{4}\s*[-年/.]).*$", re.S
)
UNSEEN = {"script", "style", "noscript", "template"}

# What trafilatura may leave in on a page laid out with tables or without markup to tell the
# article from its frame: a block (paragraph, list item, table row) of one of these, if short,
# is the frame; a heading of a trailing list ends the article.
FRAME = re.compile(
    r"^(?:分享到|分享[：:]|责任编辑|责编|编辑[：:]|来源[：:]|发布时间|发布日期|作者[：:]|浏览次数|"
    r"点击数|【?打印本页|【?关闭窗口|当前位置|您现在的位置|您当前的位置|扫一扫|扫码|首页(?:\s|[>›»|/]|$))"
    r"|版权所有|ICP备|公网安备|Copyright\s*©"
)
FRAME_LENGTH = 100
TRAILING = re.compile(
    r"^[【\[]?(?:相关阅读|相关新闻|相关链接|相关文章|相关报道|推荐阅读|延伸阅读|热点推荐|猜你喜欢|热门文章|"
    r"更多阅读)[】\]]?[：:]?$"
)
BLOCK_ELEMENTS = ("p", "head", "item", "row", "quote", "list")

# trafilatura's XML vocabulary, rendered as the HTML the sanitizer keeps.
TAGS = {
    "p": "p", "list": "ul", "item": "li", "quote": "blockquote", "lb": "br", "table": "table",
    "row": "tr", "code": "p", "del": "s", "graphic": "img",
}  # fmt: skip
EMPHASIS = {"#b": "strong", "#i": "em", "#u": "u", "#sub": "sub", "#sup": "sup"}
HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3"}
BLOCKS = {"p", "h2", "h3", "h4", "li", "ul", "ol", "blockquote", "table", "tr", "figure", "div"}
CELLS = {"td", "th"}


INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass
class Extracted:
    title: str
    author: str
    published: datetime | None  # aware; Beijing time when the page gives none
    html: str  # sanitized; its n-th <img> stands for image_urls[n]
    text: str  # plain, one paragraph a line
    image_urls: list[str] = field(default_factory=list)  # absolute http(s), in order, once each
    site_name: str = ""


def extract(html: str, url: str) -> Extracted:
    """Read the article in `html`, found at `url`; raise ReadError when it has no main text."""
    # Invisible format characters (zero-width, direction marks) would split words, hiding
    # them from watch words and search, and can reorder a title on screen.
    tree = parse_html(INVISIBLE.sub("", html))
    document = None
    if tree is not None:
        # A fresh dict each call: trafilatura 2.0 writes the page's URL into it and reads
        # max_date from it. Today is Beijing's today: a page published at 00:30 is not future.
        today = datetime.now(BEIJING).strftime("%Y-%m-%d")
        date_search = {**DATE_SEARCH, "max_date": today}
        document = bare_extraction(tree, url=url, date_extraction_params=date_search, **EXTRACTION)
        if _too_little(document):
            # bare_extraction works on a copy of the tree: it can be read again.
            date_search = {**DATE_SEARCH, "max_date": today}
            full = {**EXTRACTION, "fast": False}
            document = bare_extraction(tree, url=url, date_extraction_params=date_search, **full)
    if document is None or document.body is None:
        raise ReadError("未能从网页中提取正文")
    metas = _metas(tree)
    title = _title(tree, metas, document.title or "")
    _drop_boilerplate(document.body, title)
    body_html, image_urls = _render(document.body, url)
    body_html = sanitize_html(body_html)
    text = plain_text(body_html)
    if len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS:
        raise ReadError("未能从网页中提取正文")
    return Extracted(
        title=title[:TITLE_LENGTH],
        author=_author(tree, metas, document.author or "")[:AUTHOR_LENGTH],
        published=_published(tree, metas, url, document.date or ""),
        html=body_html,
        text=text,
        image_urls=image_urls,
        site_name=_site_name(tree, metas, document.sitename or "", url)[:SITE_NAME_LENGTH],
    )


def _too_little(document) -> bool:
    """Whether the fallbacks could change what the fast read found: nothing, a short text,
    no paragraph with text, or more tables than paragraphs (trafilatura's own tests for
    preferring readability's or jusText's reading)."""
    if document is None or document.body is None:
        return True
    body = document.body
    if len("".join(body.itertext()).strip()) < FULL_READ_BELOW:
        return True
    if not body.xpath(".//p//text()"):
        return True
    return len(body.findall(".//table")) > len(body.findall(".//p"))


def _image_address(page_url: str, source: str) -> str:
    """The absolute http(s) address of an image, or "" (a malformed one such as
    "http://[oops/" is left out, not the page)."""
    try:
        address = urljoin(page_url, source.strip()).split("#")[0] if source.strip() else ""
        return address if urlsplit(address).scheme in ("http", "https") else ""
    except ValueError:
        return ""


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """The document tree of `html`, or None when there is no document."""
    html = XML_DECLARATION.sub("", CONTROL.sub("", html), count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def plain_text(html: str) -> str:
    """The text of an HTML fragment, one paragraph (or table row) a line."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    lines, pending = [], []

    def close_line():
        line = " ".join("".join(pending).split())
        if line:
            lines.append(line)
        pending.clear()

    # Iterative, so that no nesting depth can exhaust the stack.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):
            continue
        if event == "start":
            if element.tag in BLOCKS or element.tag == "br":
                close_line()
            pending.append(element.text or "")
        else:
            if element.tag in BLOCKS:
                close_line()
            elif element.tag in CELLS:
                pending.append(" ")
            if element is not root:
                pending.append(element.tail or "")
    close_line()
    return "\n".join(lines)


def _drop_boilerplate(body: etree._Element, title: str) -> None:
    """Remove the page's frame, and the headline kept apart as the title, from trafilatura's
    extracted tree (in place)."""
    # The fallback extractors wrap their blocks in <div>s: the first block may lie deep.
    first = next(body.iter(*BLOCK_ELEMENTS), None)
    if first is not None and first.tag == "head" and _text(first) == title:
        _drop(first)
    for table in list(body.iter("table")):
        # A table of one column is layout, not data: its cells become plain blocks.
        rows = list(table.iter("row"))
        if all(len(row.findall("cell")) <= 1 for row in rows):
            for row in rows:
                row.tag = "div"
                for cell in row.findall("cell"):
                    cell.tag = "p" if not len(cell) else "div"
                    if len(cell) and (cell.text or "").strip():
                        lead = etree.Element("p")
                        lead.text, cell.text = cell.text, None
                        cell.insert(0, lead)
            table.tag = "div"
    for element in list(body.iter(*BLOCK_ELEMENTS)):
        if element.getparent() is None:
            continue  # inside a block already removed
        text = _text(element)
        if (
            TRAILING.match(text)
            and sum(len(t.strip()) for t in element.xpath("preceding::text()")) >= MIN_TEXT_CHARS
        ):
            _drop_rest(element, body)
            return
        if len(text) <= FRAME_LENGTH and FRAME.search(text):
            _drop(element)


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _drop_rest(element: etree._Element, root: etree._Element) -> None:
    """Remove `element` and everything after it in `root`."""
    node = element
    while node is not root:
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    element.getparent().remove(element)


def _render(body: etree._Element, url: str) -> tuple[str, list[str]]:
    """trafilatura's extracted tree as HTML, and the addresses of its images."""
    image_urls = []
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or element is body:
            continue
        source, alt = element.get("src", ""), element.get("alt", "")
        rend, role = element.get("rend", ""), element.get("role", "")
        element.attrib.clear()
        if element.tag == "graphic":
            address = _image_address(url, source)
            if not address or address in image_urls:
                _drop(element)
                continue
            image_urls.append(address)
            if alt:
                element.set("alt", alt)
        if element.tag == "head":
            element.tag = HEADINGS.get(rend, "h4")
        elif element.tag == "hi":
            element.tag = EMPHASIS.get(rend, "span")
        elif element.tag == "cell":
            element.tag = "th" if role == "head" else "td"
        elif element.tag == "list" and rend == "ol":
            element.tag = "ol"
        else:
            element.tag = TAGS.get(element.tag, "span")
    body.tag = "div"
    return etree.tostring(body, encoding="unicode", method="html"), image_urls


def _drop(element: etree._Element) -> None:
    """Remove `element`, keeping the text that follows it."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _metas(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """The page's meta tags by lower-case name or property, first one winning."""
    found = {}
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = " ".join((meta.get("content") or "").split())
        if key and content:
            found.setdefault(key, content)
    return found


def _title(tree: lxml.html.HtmlElement, metas: dict[str, str], found: str) -> str:
    if metas.get("articletitle"):
        return metas["articletitle"]
    found = " ".join(found.split())
    headline = TITLE_SEPARATOR.split(found, maxsplit=1)[0]
    # Cut the site's name off only when the page shows the shorter headline by itself.
    if headline != found and headline in _headlines(tree):
        return headline
    return found


def _headlines(tree: lxml.html.HtmlElement) -> set[str]:
    return {" ".join(element.text_content().split()) for element in HEADLINES(tree)}


def _author(tree: lxml.html.HtmlElement, metas: dict[str, str], found: str) -> str:
    # trafilatura drops two-character names (张三) as too short to be one.
    author = _names(found or metas.get("author", ""))
    if not author:
        # A byline is a label and a colon; "记者4日获悉" in a sentence is not one. Its names
        # end with the line (text nodes are joined with line breaks).
        page_text = "\n".join(_page_text(tree))
        match = re.search(r"(?:作者|记者|撰稿|撰文)\s*[：:]\s*", page_text)
        if match:
            author = _names(page_text[match.end() :].split("\n", 1)[0])
    return author if len(author) <= LONGEST_BYLINE else ""


def _page_text(tree: lxml.html.HtmlElement) -> list[str]:
    """The words a reader sees on the page, one text node an item, in order.

    A walk rather than an XPath with ancestor:: tests, which grow with the depth of every node
    (quadratic on a deeply nested page)."""
    body = tree.find("body")
    found = []
    for element in body.iter() if body is not None else ():
        if isinstance(element.tag, str) and element.tag not in UNSEEN and element.text:
            found.append(element.text)
        if element is not body and element.tail:
            found.append(element.tail)
    return found


def _names(byline: str) -> str:
    """The names in a byline, its labels and neighbours (来源, 时间, 编辑) removed."""
    labels = list(BYLINE.finditer(byline))
    if labels:
        byline = byline[labels[-1].end() :]
    return " ".join(AFTER_NAMES.sub("", byline).split())


def _site_name(tree: lxml.html.HtmlElement, metas: dict[str, str], found: str, url: str) -> str:
    if metas.get("sitename"):
        return metas["sitename"]
    host = urlsplit(url).hostname or ""
    # trafilatura's fallback is the address's host, with its port when it has one.
    bare = found.lower().rsplit(":", 1)[0] if found.rsplit(":", 1)[-1].isdigit() else found.lower()
    if found and bare.removeprefix("www.") != host.removeprefix("www."):
        return found
    # trafilatura fell back to the host name; Chinese titles end with the site's name instead.
    title = tree.findtext(".//title") or ""
    parts = TITLE_SEPARATOR.split(" ".join(title.split()))
    if len(parts) > 1 and 0 < len(parts[-1]) <= 30:
        return parts[-1]
    return found or host


def _published(
    tree: lxml.html.HtmlElement, metas: dict[str, str], url: str, found: str
) -> datetime | None:
    # The page's words and its meta values (PubDate) are where a date and its time are printed.
    printed = " ".join([*_page_text(tree), *metas.values()])
    published = _parse_date(found)
    if published is None:
        found = htmldate.find_date(
            tree,
            extensive_search=True,
            original_date=True,
            url=url,
            outputformat=DATE_FORMAT,
            max_date=datetime.now(BEIJING).strftime("%Y-%m-%d"),
        )
        guess = _parse_date(found or "")
        if guess is not None and _shows_day(f"{printed} {url}", guess):
            published = guess
    if published is None:
        return None
    if published.tzinfo is None:
        if published.time() == time(0, 0):
            published = _with_printed_time(printed, published)
        published = published.replace(tzinfo=BEIJING)
    return published


def _parse_date(text: str) -> datetime | None:
    # htmldate writes the offset only when the page gave one; the caller localizes the rest.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _day_pattern(day: datetime) -> str:
    """The ways a page or an address writes `day`: 2024-03-05, 2024/3/5, 2024年3月5日,
    2024.03.05, 2024/03-05, and with both parts padded 20240305 or 202403/05."""
    y, m, d = day.year, day.month, day.day
    return rf"(?<!\d){y}(?:\s*[-/._年]\s*0?{m}\s*[-/._月]\s*0?{d}|{m:02}[-/_]?{d:02})(?!\d)"


def _shows_day(haystack: str, day: datetime) -> bool:
    return re.search(_day_pattern(day), haystack) is not None


def _with_printed_time(page_text: str, day: datetime) -> datetime:
    """`day` at the time printed right after it on the page, if any (发布时间：2024-03-05 10:20)."""
    pattern = rf"(?:{_day_pattern(day)})\s*日?\s*(\d{{1,2}})[:：](\d{{2}})(?:[:：](\d{{2}}))?"
    match = re.search(pattern, page_text)
    if match is None:
        return day
    hour, minute, second = (int(value or 0) for value in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return day
    return day.replace(hour=hour, minute=minute, second=second)
