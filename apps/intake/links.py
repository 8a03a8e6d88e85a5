"""Addresses: one canonical form per article, and the article links of a list page.

`canonical` gives the form a clipping is stored under, so that the same article reached
through a share button, a feed and a list page is one clipping: scheme and host in lower case,
no default port, no fragment, no `;jsessionid=`, no tracking parameters, the others sorted.
Only names that are tracking everywhere are removed (TRACKING_NAMES, TRACKING_PREFIXES);
`id`, `page`, `source` and the like may choose the article and are kept.

`article_links` picks the links to follow on a list page (栏目页). With a CSS selector, the
links it picks (an `<a>`, or every `<a>` inside the elements it picks). Without one, a link is
followed when all of these hold:
- it is http or https, and not a script, mail or telephone link, nor the page itself;
- it is on the same site: the same registrable domain (its last two labels, or three under
  gov.cn, com.cn, org.cn, edu.cn, net.cn, ac.cn: kjt.henan.gov.cn and www.henan.gov.cn are
  one site, www.most.gov.cn another);
- its path looks like an article: a date in it (/2024/03/05/, /2024-03/05/, /2024/03-05/,
  /20240305/, /202403/, t20240305_123.html), or a page name with a number of four digits or
  more (2934821.html, content_6937000.htm, art_1229_5678.html), or an /art/, /article/,
  /detail/, /content/ or /news/ path with a number, or a detail script with a numeric id
  (detail.jsp?id=1234);
- it is not a file (.pdf, .doc, .xls, .zip, images…) nor a list page (index.html,
  list_2.html, default.htm);
- its text (or title attribute) is at least six characters long: a headline, not 更多 or 下一页.
Either way the links come out absolute, canonical and once each, in page order, at most
MAX_LINKS of them.
"""

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

from apps.intake.decoding import ReadError

if TYPE_CHECKING:
    from lxml import etree
    from lxml.cssselect import CSSSelector

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PREFIXES = ("utm_", "share", "spm_")
TRACKING_NAMES = {
    # shared everywhere
    "spm", "from", "gclid", "fbclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    # WeChat (微信) share and reading state
    "scene", "ascene", "subscene", "mpshare", "srcid", "isappinstalled", "clicktime",
    "enterid", "from_timeline", "exportkey", "pass_ticket", "devicetype", "nettype",
    "wx_header", "sessionid",
    # Weibo, Toutiao, Bilibili share marks
    "wfr", "tt_from", "vd_source",
}  # fmt: skip
SESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
PATH_SAFE = "/%:@!$&'()*+,;=-._~"

# Two-label suffixes under which a site's own name is the third label from the right.
SECOND_LEVEL_SUFFIXES = {"gov.cn", "com.cn", "org.cn", "edu.cn", "net.cn", "ac.cn"}
SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "#")
FILE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|ofd|zip|rar|7z|gz|txt|csv|xml|apk|exe|"
    r"jpe?g|png|gif|bmp|webp|svg|mp3|mp4|avi|wmv|flv)$",
    re.IGNORECASE,
)
LIST_PAGE = re.compile(r"/(?:index|list|default|more)(?:_\d+)?\.(?:s?html?|jsp|aspx?|php)$", re.I)
ARTICLE_PATH = re.compile(
    r"/20\d\d[-/_]?(?:0[1-9]|1[0-2])[-/_]?(?:0[1-9]|[12]\d|3[01])(?:/|$)"  # /2024/03/05/
    r"|/20\d\d/\d{1,2}/\d{1,2}/"  # /art/2024/3/5/
    r"|/20\d\d(?:0[1-9]|1[0-2])/"  # /202403/
    r"|/t20\d{6}_\d+\.s?html?$"  # t20240305_123456.html
    r"|/[^/]*\d{4,}[^/]*\.s?html?$"  # 2934821.html, content_6937000.htm
    r"|/(?:art|article|articles|detail|details|content|news)/(?:.*/)?[^/]*\d{3,}",
    re.IGNORECASE,
)
DETAIL_SCRIPT = re.compile(
    r"/\w*(?:detail|article|content|show|view|info)\w*\.(?:jsp|aspx?|php|s?html?)$", re.I
)
NUMERIC_ID = re.compile(r"(?:^|&)\w*id=\d{3,}", re.IGNORECASE)
MIN_LINK_TEXT = 6
MAX_LINKS = 200  # as many as a feed gives (apps.intake.feeds.MAX_ENTRIES)
LONGEST_URL = 1000  # the column that stores a clipping's address


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def canonical(url: str) -> str:
    """The one form under which the article at `url` is stored; ValueError when `url` holds
    control characters other than the tabs and line breaks browsers drop (a NUL cannot be
    stored by PostgreSQL, nor fetched)."""
    url = re.sub(r"[\t\n\r]", "", url.strip())
    if CONTROL.search(url):
        raise ValueError("control character in address")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = quote(SESSION_IN_PATH.sub("", parts.path), safe=PATH_SAFE) or "/"
    return urlunsplit((scheme, netloc, path, _kept_query(parts.query), ""))


def _kept_query(query: str) -> str:
    # Work on the raw pairs: decoding and re-encoding would turn "?123" into "?123=" and
    # "a+b" into "a%20b", another address for some servers.
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.split("=", 1)[0]).strip().lower()
        if name in TRACKING_NAMES or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(sorted(kept))


def check_selector(text: str) -> None:
    """Raise ReadError (in Chinese) unless `text` is empty (the rule applies) or a CSS selector
    lxml can use."""
    if text.strip():
        _selector(text.strip())


def _selector(text: str) -> "CSSSelector":
    # Imported here: models.py checks selectors with this module, and every web process loads
    # the models; lxml is needed there only when a reviewer saves a source.
    from lxml.cssselect import CSSSelector, SelectorError

    try:
        return CSSSelector(text, translator="html")
    except SelectorError as error:  # syntax errors and unsupported pseudo-elements alike
        raise ReadError(f"文章链接选择器无效：{text}") from error


def article_links(html: str, base_url: str, selector: str = "") -> list[str]:
    """The article links of the list page `html` found at `base_url` (see the module's rule)."""
    # Imported here: models.py checks selectors with this module, and every web process
    # loads the models; trafilatura (behind extracting) is the pipeline's alone.
    from apps.intake.extracting import parse_html

    tree = parse_html(html)
    if tree is None:
        return []
    base = _base(tree, base_url)
    if selector.strip():
        anchors = []
        for element in _selector(selector.strip())(tree):
            anchors.extend([element] if element.tag == "a" else element.iter("a"))
        chosen = (address for anchor in anchors if (address := _address(anchor, base)))
    else:
        site = registrable_domain(urlsplit(base_url).hostname or "")
        chosen = (
            address
            for anchor in tree.iter("a")
            if (address := _address(anchor, base)) and _looks_like_article(anchor, address, site)
        )
    itself, found = canonical(base_url), {}  # a dict keeps page order
    for address in chosen:
        if address != itself:
            found[address] = None
            if len(found) == MAX_LINKS:
                break
    return list(found)


def _base(tree: "etree._Element", base_url: str) -> str:
    # Old government sites set <base href>, and their relative links follow it.
    for element in tree.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            return urljoin(base_url, href)
    return base_url


def _address(anchor: "etree._Element", base: str) -> str:
    """The canonical absolute address `anchor` leads to, or "" if it leads to no web page."""
    href = (anchor.get("href") or "").strip()
    if not href or href.lower().startswith(SKIPPED_SCHEMES):
        return ""
    try:
        address = canonical(urljoin(base, href))
    except ValueError:
        return ""  # a malformed address (a bad IPv6 literal)
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(address) > LONGEST_URL:
        return ""
    if FILE.search(parts.path):
        return ""
    return address


def registrable_domain(host: str) -> str:
    """The part of `host` that names the site: www.stdaily.com -> stdaily.com,
    kjt.henan.gov.cn -> henan.gov.cn."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    keep = 3 if ".".join(labels[-2:]) in SECOND_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def _looks_like_article(anchor: "etree._Element", address: str, site: str) -> bool:
    parts = urlsplit(address)
    if registrable_domain(parts.hostname or "") != site:
        return False
    if LIST_PAGE.search(parts.path):
        return False
    if not (
        ARTICLE_PATH.search(parts.path)
        or (DETAIL_SCRIPT.search(parts.path) and NUMERIC_ID.search(parts.query))
    ):
        return False
    text = " ".join(anchor.text_content().split())
    title = " ".join((anchor.get("title") or "").split())
    return max(len(text), len(title)) >= MIN_LINK_TEXT
