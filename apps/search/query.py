"""What a reader typed, read as a search: words, "phrases" in quotes and -exclusions.

Every part is reduced to letters, digits and CJK characters before it reaches a database, so
FTS syntax (* ^ : ( ) NEAR AND OR), quotes and SQL in a query are only ever text.
"""

import re
from dataclasses import dataclass

from apps.search.segmenter import query_phrases, query_terms

MAX_QUERY_LENGTH = 100
# Chinese and full-width quotes count as quotes; a dash of any width before a part excludes it.
QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "－": "-"})
PART = re.compile(r'(-?)"([^"]*)(?:"|$)|(-?)([^\s"]+)')
SEPARATOR = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")

ASK_FOR_TEXT = "请输入要搜索的文字，例如：科技创新。"
ASK_FOR_TWO = "请至少输入两个字，例如：创新。单个字无法检索。"
ASK_FOR_POSITIVE = "请输入要找的词；“-词”只用来排除，例如：新能源 -汽车。"


@dataclass(frozen=True)
class Phrase:
    """Bigram tokens in a row; `prefix`: the last (Latin) token may be the start of a word."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Group:
    """One part of the query: it matches when all its words occur (ranking's segmentation),
    or when all its phrases occur (any substring, so 新材 finds 新材料)."""

    words: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    substrings: tuple[str, ...]

    @property
    def match_words(self) -> tuple[str, ...]:
        """The words worth matching on their own: none when the part is one word, which its
        phrase already finds (reading one index per document instead of two)."""
        return () if self.words == self.substrings else self.words


@dataclass(frozen=True)
class Query:
    """A parsed query; hashable, as Django's expressions that carry it must be."""

    groups: tuple[Group, ...] = ()
    excluded: tuple[Group, ...] = ()
    notice: str = ""

    def __bool__(self):
        return bool(self.groups)

    @property
    def words(self) -> list[str]:
        return _unique(word for group in self.groups for word in group.words)

    @property
    def match_words(self) -> list[str]:
        """The words of every part whose words match on their own (Group.match_words)."""
        return _unique(word for group in self.groups for word in group.match_words)

    @property
    def marks(self) -> list[str]:
        """The strings to highlight: the parts typed and the words inside them."""
        found = [s for group in self.groups for s in group.substrings]
        found += [w for w in self.words if len(w) > 1]
        return _unique(found)


def clean_query(raw: str) -> tuple[str, str]:
    """Return the query to run (possibly shortened) and a message for the reader, or ''."""
    text = " ".join((raw or "").replace("\x00", "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH], f"搜索词过长，已只用前 {MAX_QUERY_LENGTH} 个字搜索。"
    return text, ""


def parse(text: str) -> Query:
    """Read a cleaned query; an empty Query carries the message to show instead."""
    groups, excluded = [], []
    dropped = False
    for match in PART.finditer((text or "").translate(QUOTES)):
        quoted = match.group(2) is not None
        negative = bool(match.group(1) if quoted else match.group(3))
        part = match.group(2) if quoted else match.group(4)
        group = _group(part, quoted=quoted or negative)
        if group is None:
            dropped = dropped or bool(SEPARATOR.sub("", part.lower()))
            continue
        (excluded if negative else groups).append(group)
    if not groups:
        notice = ASK_FOR_POSITIVE if excluded else ASK_FOR_TWO if dropped else ASK_FOR_TEXT
    else:
        notice = "单个字无法检索，已按其余的词搜索。" if dropped else ""
    return Query(groups=tuple(groups), excluded=tuple(excluded), notice=notice)


def _group(part: str, *, quoted: bool) -> Group | None:
    phrases = query_phrases(part)
    if not phrases:
        return None
    lowered = part.lower()
    substrings = tuple(s for s in SEPARATOR.split(lowered) if len(s) > 1)
    return Group(
        # A phrase in quotes must occur as typed; its words do not count on their own.
        words=() if quoted else tuple(query_terms(part)),
        phrases=tuple(
            Phrase(tuple(tokens), prefix=not quoted and tokens[-1].isascii()) for tokens in phrases
        ),
        substrings=substrings,
    )


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
