"""The demo's news sites: feeds and article pages bundled in apps/demo/sources/, served by the
app in development only (apps/demo/views.py) and read by intake like any other site.

Four sites, all fictional in content and real in form: 科技日报's RSS feed, 河南日报's JSON Feed
(one of its stories reprints a 科技日报 one under another headline), 许昌市科学技术局's list
page whose articles are GBK, as many government sites still are, and an industry site's Atom
feed. `load_demo` makes them intake sources; `read` is what the development server answers.
"""

from dataclasses import dataclass
from pathlib import Path

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
# Where the development server serves them (config/urls.py, DEBUG only).
URL_PREFIX = "demo-sources/"
# Feeds name their articles by absolute address, which depends on the port the server listens
# on: the files hold this placeholder, replaced by the served address at each request.
BASE_PLACEHOLDER = b"{{base}}"
# A site's files are stored in its charset and served with it; every other site is UTF-8.
CHARSETS = {"xckjj": "GBK"}
CONTENT_TYPES = {
    ".htm": "text/html",
    ".html": "text/html",
    ".json": "application/feed+json",
    ".xml": "application/rss+xml",
    ".png": "image/png",
}
TEXT_TYPES = {"text/html", "application/feed+json", "application/rss+xml", "application/atom+xml"}


@dataclass(frozen=True)
class DemoSource:
    """One bundled site as an intake source: `path` under URL_PREFIX, `kind` a Source.Kind
    value, `industries` slugs of the industries it usually serves."""

    name: str
    path: str
    kind: str
    industries: tuple[str, ...] = ()
    link_selector: str = ""


SOURCES = [
    DemoSource(
        "科技日报·产业（演示）",
        "kjrb/rss.xml",
        "feed",
        ("new-materials", "intelligent-equipment", "new-energy-vehicles", "biomedicine"),
    ),
    DemoSource(
        "河南日报·经济（演示）",
        "hnrb/feed.json",
        "feed",
        ("equipment-manufacturing", "new-materials"),
    ),
    # The list page's own links (navigation, paging, the footer) are not articles: the selector
    # picks the column's list, as an editor would set it for a real government site.
    DemoSource(
        "许昌市科学技术局·工作动态（演示）", "xckjj/gzdt/index.html", "page", (), "div.list li a"
    ),
    DemoSource("中国超硬材料网·行业资讯（演示）", "chaoying/atom.xml", "feed", ("new-materials",)),
]

# Watch words (监测词): 许昌's companies and counties (no industry), and industry terms.
WATCH_WORDS: dict[str, str | None] = {
    **dict.fromkeys(
        ["许昌", "许继", "瑞贝卡", "黄河旋风", "长葛", "禹州", "鄢陵", "襄城", "魏都", "建安"]
    ),
    "超硬材料": "new-materials",
    "培育钻石": "new-materials",
    "特高压": "equipment-manufacturing",
    "柔性直流": "equipment-manufacturing",
    "假发": "hair-products",
    "动力电池": "new-energy-vehicles",
    "创新药": "biomedicine",
    "工业机器人": "intelligent-equipment",
}


def content_type(path: str) -> str:
    """The Content-Type a bundled file is served with, charset included for text."""
    suffix = Path(path).suffix
    kind = CONTENT_TYPES.get(suffix, "application/octet-stream")
    if path.endswith("atom.xml"):
        kind = "application/atom+xml"
    if kind not in TEXT_TYPES:
        return kind
    return f"{kind}; charset={CHARSETS.get(path.split('/', 1)[0], 'utf-8')}"


def read(path: str, base: str) -> tuple[bytes, str] | None:
    """The bundled file at `path` (under sources/) and its Content-Type, its absolute links
    pointing at `base` (where sources/ is served, without the final slash); None when there
    is no such file. Nothing outside sources/ is ever read."""
    parts = path.split("/")
    if not path or any(part in {"", ".", ".."} or part.startswith(".") for part in parts):
        return None
    target = SOURCES_DIR.joinpath(*parts).resolve()
    if not target.is_relative_to(SOURCES_DIR) or not target.is_file():
        return None
    body = target.read_bytes()
    kind = content_type(path)
    if "charset=" in kind:
        body = body.replace(BASE_PLACEHOLDER, base.encode("ascii"))
    return body, kind
