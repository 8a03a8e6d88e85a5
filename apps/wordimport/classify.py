"""What each top-level paragraph of a Word issue is, read from its text, style and formatting.

python-docx gives the structure mammoth's HTML loses: style names and their inheritance,
bold and font size, alignment, indentation, numbering. The roles decided here are the issue's
skeleton: 编者的话, sections (●行业趋势, or Heading 1), article titles (Heading 1/2, or a
short bold, centred or larger paragraph), source and author lines after a title, and
subheadings inside an article (a short indented line, "一、…", or Heading 3).

What comes before 编者的话 (or, without it, the masthead: the bulletin's name, "2023年第12期",
the date) is never a title: it is shown to the editor as text before the first title.
"""

import enum
import re
from collections import Counter
from dataclasses import dataclass

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

SECTION_MARKS = "●■◆"
NOTE_NAMES = frozenset({"编者的话", "编者按", "卷首语"})

# Lengths in characters, after stripping spaces.
TITLE_MAX = 50
PLAIN_TITLE_MAX = 40
SUBHEADING_MAX = 30
META_MAX = 80
SUBTITLE_MAX = 60
# How many lines after a title may carry its subtitle, source and author.
META_LOOKAHEAD = 3

SPACES = " \t\r\n\u3000\xa0\u2002\u2003\u2009\u200b\ufeff"
# A title may end in ！ or ？ ("AI 会取代编辑吗？"), a subheading or a plain-text title may not.
NOT_TITLE_ENDINGS = "。；;，,、：:"
NOT_HEADING_ENDINGS = NOT_TITLE_ENDINGS + "！!？?…"
CLOSERS = "”’」』》）)】\"'"

HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
YEAR_NUMBER = re.compile(r"((?:19|20)\d{2})\s*年\s*第\s*(\d{1,2})\s*期")
DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# "总第14期" (the running number since the first issue), on the masthead beside 第N期.
TOTAL_NUMBER = re.compile(r"总\s*第\s*(\d{1,5})\s*期")
# The document's year when the masthead gives no "2024年第1期": a date line ("2024年1月15日").
YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# A longer line with a date is running text (编者的话 opening with "2023年12月1日，…").
DATE_LINE_MAX = 30
# The masthead is among the first few lines; the year and number are looked for there too.
MASTHEAD_LINES = 8
# "一、", "（一）", "1.", "1、", "第一，": the numbered parts of one article, never its title.
ENUMERATED = re.compile(
    r"^(?:[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]"
    r"|\d{1,2}\s*[、．]|\d{1,2}\.(?!\d)|第[一二三四五六七八九十]+[，、,])"
)
# Picture and table captions: "图1 …", "表 2：…", "（资料图）".
CAPTION = re.compile(
    r"^[（(]?\s*(?:资料图|照片|图片|图|表)\s*[0-9０-９一二三四五六七八九十]*\s*(?:[:：、.．\s)）]|$)"
)

# Source and author lines: "来源：科技日报", "（来源：新华社）", "作者：张三", "文/李四",
# "摘自《经济日报》", "来源：科技日报 作者：张三".
_LABELLED = (
    r"(?P<label>信息来源|稿件来源|资料来源|文章来源|来\s*源|出\s*处"
    r"|作\s*者|撰\s*稿|撰\s*文|记\s*者|编\s*译|执\s*笔|文)\s*[：:／/]"
)
_QUOTED_FROM = r"(?P<from>摘编自|摘自|转自|选自|转载自)\s*[：:]?"
META_LABEL = re.compile(rf"(?:{_LABELLED}|{_QUOTED_FROM})\s*")
SOURCE_LABELS = frozenset({"信息来源", "稿件来源", "资料来源", "文章来源", "来源", "出处"})


class Role(enum.Enum):
    BODY = "body"
    NOTE = "note"  # the heading 编者的话
    SECTION = "section"
    TITLE = "title"
    SUBTITLE = "subtitle"
    META = "meta"  # a source or author line, folded into the article's fields
    SUBHEADING = "subheading"


# Roles whose paragraph is replaced by a marker: their text goes into fields, not into HTML.
MARKER_ROLES = frozenset({Role.NOTE, Role.SECTION, Role.TITLE, Role.SUBTITLE, Role.META})


@dataclass
class Block:
    """One top-level paragraph or table of the document, and what it was found to be."""

    index: int
    paragraph: Paragraph | None  # None for a table
    text: str = ""
    heading_level: int | None = None
    masthead: bool = False  # Word's "Title" style: the bulletin's name, never an article title
    centred: bool = False
    emphasised: bool = False  # centred, all bold, or larger than the body
    strong: bool = False  # all bold, or larger than the body
    indented: bool = False  # by typed spaces ("　　"), as the institute does
    format_indented: bool = False  # by Word's paragraph indentation
    has_picture: bool = False
    is_list: bool = False
    role: Role = Role.BODY
    subheading_level: int = 3
    # For titles: what the lines after them said.
    subtitle: str = ""
    source: str = ""
    author: str = ""

    @property
    def is_table(self) -> bool:
        return self.paragraph is None

    @property
    def is_empty(self) -> bool:
        return not self.is_table and not self.text and not self.has_picture


@dataclass
class Classification:
    blocks: list[Block]
    # No title was set off by a style or by formatting: titles were guessed from short lines.
    plain_titles: bool = False
    year_number: tuple[int, int] | None = None
    total_number: int | None = None  # 总第N期
    year: int | None = None  # the document's year, from 2024年第1期 or from its date


def strip(text: str) -> str:
    return text.strip(SPACES)


def heading_name(text: str) -> str:
    """Return a heading's name without its ●/■ mark, spaces and closing colon."""
    name = strip(text).lstrip(SECTION_MARKS)
    name = re.sub(f"[{SPACES}]", "", name)
    return name.rstrip("：:")


def parse_meta(text: str) -> dict[str, str] | None:
    """Return {"source": …, "author": …} from a source/author line, or None if it is not one."""
    line = strip(text)
    if not line or len(line) > META_MAX:
        return None
    if line[0] in "（(【[" and line[-1] in "）)】]":
        line = strip(line[1:-1])
    matches = list(META_LABEL.finditer(line))
    if not matches or matches[0].start() != 0:
        return None
    found = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(line)
        value = strip(line[match.end() : end]).strip("，,;；。.、" + SPACES)
        label = re.sub(r"\s", "", match.group("label") or "")
        kind = "source" if match.group("from") or label in SOURCE_LABELS else "author"
        if value.startswith("《") and value.endswith("》") and value.count("《") == 1:
            value = value[1:-1]
        if value and kind not in found:
            found[kind] = value
    return found or None


def classify(document, *, publication: str = "") -> Classification:
    """Give each top-level paragraph of `document` (python-docx) its role.

    `publication` is the bulletin's name, which marks the masthead.
    """
    styles = _Styles()
    blocks = [_read_block(index, item, styles) for index, item in enumerate(_items(document))]
    _mark_emphasis(document, blocks, styles)
    result = Classification(blocks=blocks)
    _assign_roles(result, publication=publication)
    masthead = _masthead_lines(document)
    result.year_number = _year_number(masthead)
    result.total_number = _total_number(masthead)
    result.year = result.year_number[0] if result.year_number else _year(masthead)
    return result


def _items(document):
    yield from document.iter_inner_content()


class _Styles:
    """The styles of paragraphs and runs, looked up once per style rather than per use
    (python-docx searches the whole style sheet on each lookup)."""

    def __init__(self):
        self._found = {}

    def of_paragraph(self, paragraph):
        key = ("p", paragraph._p.style)
        if key not in self._found:
            self._found[key] = paragraph.style
        return self._found[key]

    def of_run(self, run):
        key = ("r", run._r.style)
        if key not in self._found:
            self._found[key] = run.style
        return self._found[key]


def _read_block(index, item, styles) -> Block:
    if isinstance(item, Table):
        return Block(index=index, paragraph=None)
    paragraph = item
    raw = paragraph.text
    text = strip(raw.replace("\n", " ").replace("\t", " "))
    block = Block(index=index, paragraph=paragraph, text=text)
    element = paragraph._p
    block.has_picture = bool(element.xpath(".//w:drawing | .//w:pict"))
    style = styles.of_paragraph(paragraph)
    block.is_list = _has_numbering(paragraph, style)
    block.heading_level = _heading_level(paragraph, style)
    block.masthead = style is not None and style.name in ("Title", "标题")
    block.centred = _alignment(paragraph, style) == WD_ALIGN_PARAGRAPH.CENTER
    block.indented = raw[:1] in ("\u3000", "\t") or raw.startswith("  ")
    block.format_indented = not block.centred and _direct_indent(element)
    block.emphasised = block.centred
    return block


def _style_chain(style):
    seen = 0
    while style is not None and seen < 20:  # a style's base may point back at itself
        yield style
        style = style.base_style
        seen += 1


def _heading_level(paragraph, style) -> int | None:
    for current in _style_chain(style):
        match = HEADING_STYLE.match(current.name or "")
        if match:
            return int(match.group(1))
    # A style of one's own with an outline level is a heading too (Word's navigation pane).
    for element in [paragraph._p, *(s.element for s in _style_chain(style))]:
        levels = element.xpath("./w:pPr/w:outlineLvl/@w:val")
        if levels and levels[0].isdigit() and int(levels[0]) < 9:
            return int(levels[0]) + 1
    return None


def _has_numbering(paragraph, style) -> bool:
    if paragraph._p.xpath("./w:pPr/w:numPr"):
        return True
    return any(s.element.xpath("./w:pPr/w:numPr") for s in _style_chain(style))


def _alignment(paragraph, style):
    if paragraph.paragraph_format.alignment is not None:
        return paragraph.paragraph_format.alignment
    for current in _style_chain(style):
        if current.paragraph_format.alignment is not None:
            return current.paragraph_format.alignment
    return None


def _direct_indent(element) -> bool:
    for name in ("firstLine", "firstLineChars", "left", "leftChars", "start", "startChars"):
        values = element.xpath(f"./w:pPr/w:ind/@w:{name}")
        if values and values[0].lstrip("-").isdigit() and int(values[0]) > 0:
            return True
    return False


def _runs(paragraph):
    for item in paragraph.iter_inner_content():
        if isinstance(item, Hyperlink):
            yield from item.runs
        else:
            yield item


def _run_property(run, paragraph, read, styles):
    value = read(run.font)
    if value is not None:
        return value
    for style in (styles.of_run(run), styles.of_paragraph(paragraph)):
        for current in _style_chain(style):
            value = read(current.font)
            if value is not None:
                return value
    return None


def _bold(font):
    return font.bold


def _size(font):
    return font.size


def _mark_emphasis(document, blocks, styles) -> None:
    """Mark paragraphs set off from the body: centred, all bold, or in a larger font."""
    default_size = _default_size(document)
    sized = []
    for block in blocks:
        if block.is_table or not block.text:
            continue
        runs = [run for run in _runs(block.paragraph) if strip(run.text)]
        if not runs:
            continue
        paragraph = block.paragraph
        bold = all(_run_property(run, paragraph, _bold, styles) for run in runs)
        sizes = [_run_property(run, paragraph, _size, styles) or default_size for run in runs]
        sized.append((block, bold, min(sizes), sum(len(run.text) for run in runs)))
    # The body's size is the size most of the text is set in.
    weights = Counter()
    for _, _, size, length in sized:
        weights[size] += length
    body_size = weights.most_common(1)[0][0] if weights else default_size
    for block, bold, size, _ in sized:
        if bold or size >= body_size + Pt(2):
            block.strong = block.emphasised = True


def _default_size(document):
    values = document.styles.element.xpath("./w:docDefaults/w:rPrDefault/w:rPr/w:sz/@w:val")
    if values and values[0].isdigit():
        return Pt(int(values[0]) / 2)
    return Pt(10.5)  # Word's default for Chinese text (五号)


def _ending(text: str) -> str:
    return text.rstrip(CLOSERS)[-1:] if text.rstrip(CLOSERS) else ""


def _is_note_heading(block) -> bool:
    return not block.is_table and heading_name(block.text) in NOTE_NAMES and len(block.text) <= 12


def _is_marked_section(block) -> bool:
    return (
        not block.is_table
        and bool(block.text)
        and block.text[0] in SECTION_MARKS
        and len(block.text) <= TITLE_MAX
    )


def _may_be_heading(block, limit) -> bool:
    return (
        not block.is_table
        and 0 < len(block.text) <= limit
        and not block.has_picture
        and not block.is_list
        and not block.masthead
        and parse_meta(block.text) is None
    )


def _is_emphasised_title(block) -> bool:
    # Word's paragraph indentation is often applied to every paragraph, titles included;
    # only typed spaces say "this line belongs to the body".
    return (
        _may_be_heading(block, TITLE_MAX)
        and block.emphasised
        and not block.indented
        and not ENUMERATED.match(block.text)
        and _ending(block.text) not in NOT_TITLE_ENDINGS
    )


def _is_plain_title(block) -> bool:
    return (
        _may_be_heading(block, PLAIN_TITLE_MAX)
        and not block.indented
        and not block.format_indented
        and not ENUMERATED.match(block.text)
        and _ending(block.text) not in NOT_HEADING_ENDINGS
    )


def _is_subheading(block) -> bool:
    # A numbered part ("一、加强组织领导，强化责任落实") may be longer than a plain subheading.
    numbered = bool(ENUMERATED.match(block.text))
    return (
        _may_be_heading(block, TITLE_MAX if numbered else SUBHEADING_MAX)
        and _ending(block.text) not in NOT_HEADING_ENDINGS
        and (numbered or block.text[:1] not in "（(【[")
    )


def _is_caption(block, previous) -> bool:
    if block.is_table or block.heading_level:
        return False
    if CAPTION.match(block.text):
        return True
    # A centred line in the body's type under a picture or a table describes it; a centred
    # bold line there is the next article's title.
    follows_figure = previous is not None and (previous.has_picture or previous.is_table)
    return follows_figure and block.centred and not block.strong


def _front_matter(blocks, publication) -> int:
    """Return how many of `blocks` come before the content: never titles, never sections.

    With 编者的话, everything before it; otherwise the masthead lines among the first few
    (the bulletin's name, "2023年第12期", a date) and whatever precedes the last of them.
    """
    for position, block in enumerate(blocks):
        if _is_note_heading(block):
            return position
    end = 0
    for position, block in enumerate(blocks[:MASTHEAD_LINES]):
        text = block.text
        if (
            YEAR_NUMBER.search(text)
            or TOTAL_NUMBER.search(text)
            or DATE.search(text)
            or (publication and publication in text)
            or block.masthead
        ):
            end = position + 1
    return end


def _assign_roles(result: Classification, *, publication: str) -> None:
    blocks = [block for block in result.blocks if not block.is_empty]
    blocks = blocks[_front_matter(blocks, publication) :]
    has_marked_sections = any(_is_marked_section(b) and not _is_note_heading(b) for b in blocks)
    levels = {
        b.heading_level
        for b in blocks
        if b.heading_level and not _is_note_heading(b) and not _is_marked_section(b)
    }
    # Heading 1 names sections only when the document also has Heading 2 for the titles and
    # does not mark its sections with ●.
    section_level = 1 if not has_marked_sections and {1, 2} <= levels else None
    title_levels = {2} if section_level else {1, 2}
    emphasis_found = any(
        (b.heading_level in title_levels) or _is_emphasised_title(b)
        for b in blocks
        if not _is_note_heading(b) and not _is_marked_section(b) and not CAPTION.match(b.text)
    )
    result.plain_titles = not emphasis_found

    in_article = False
    previous = None
    for block in blocks:
        caption = _is_caption(block, previous)
        previous = block
        if caption:
            continue
        if _is_note_heading(block):
            block.role, in_article = Role.NOTE, False
        elif _is_marked_section(block) or (section_level and block.heading_level == section_level):
            block.role, in_article = Role.SECTION, False
        elif _is_title(block, title_levels, plain=result.plain_titles):
            block.role, in_article = Role.TITLE, True
        elif in_article and ((block.heading_level and not block.is_table) or _is_subheading(block)):
            block.role = Role.SUBHEADING
            block.subheading_level = 4 if (block.heading_level or 3) >= 4 else 3
    _read_title_lines(blocks)


def _is_title(block, title_levels, *, plain) -> bool:
    if block.is_table or not block.text or block.has_picture or block.masthead:
        return False
    if block.heading_level in title_levels:
        return True
    if block.heading_level:
        return False
    return _is_plain_title(block) if plain else _is_emphasised_title(block)


def _read_title_lines(blocks) -> None:
    """Fold a title's subtitle, source and author lines into the title; also a source line
    that closes the article ("（来源：新华社）")."""
    for position, block in enumerate(blocks):
        if block.role is not Role.TITLE:
            continue
        following = blocks[position + 1 : position + 1 + META_LOOKAHEAD]
        for offset, line in enumerate(following):
            # A subtitle ("——打好服务牌") is short enough to have been taken for a subheading.
            if line.role not in (Role.BODY, Role.SUBHEADING) or line.is_table or line.has_picture:
                break
            meta = parse_meta(line.text)
            if meta:
                block.source = block.source or meta.get("source", "")
                block.author = block.author or meta.get("author", "")
                line.role = Role.META
            elif (
                offset == 0
                and line.text.startswith(("——", "--", "—"))
                and (len(line.text) <= SUBTITLE_MAX)
            ):
                block.subtitle = strip(line.text.lstrip("—-"))
                line.role = Role.SUBTITLE
            else:
                break
        last = _last_line_of_article(blocks, position)
        if last is not None and not block.source:
            meta = parse_meta(last.text)
            if meta and meta.get("source"):
                block.source = meta["source"]
                block.author = block.author or meta.get("author", "")
                last.role = Role.META


def _last_line_of_article(blocks, title_position):
    last = None
    for block in blocks[title_position + 1 :]:
        if block.role in (Role.TITLE, Role.SECTION, Role.NOTE):
            break
        last = block
    if last is None or last.role is not Role.BODY or last.is_table or last.has_picture:
        return None
    return last


def _masthead_lines(document) -> list[str]:
    """Return the text where the masthead may be: the first few paragraphs or tables of the
    body (a masthead is often a table: 2024年第1期 in one cell, 总第14期 in another), then the
    first page's header. Later mentions are about other issues."""
    lines = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            texts = [cell.text for row in item.rows for cell in row.cells]
        else:
            texts = [item.text]
        texts = [strip(t.replace("\n", " ").replace("\t", " ")) for t in texts]
        texts = [t for t in texts if t]
        if texts:
            lines.extend(texts)
            if len(lines) >= MASTHEAD_LINES:
                break
    section = document.sections[0] if document.sections else None
    # A header linked to the previous one has no text of its own; reading it would add one.
    if section is not None and not section.header.is_linked_to_previous:
        lines.extend(strip(p.text) for p in section.header.paragraphs if strip(p.text))
        for table in section.header.tables:
            lines.extend(strip(c.text) for row in table.rows for c in row.cells if strip(c.text))
    return lines


def _year_number(lines) -> tuple[int, int] | None:
    # The masthead ("2023年第12期") comes first; later mentions are about other issues.
    for line in lines:
        match = YEAR_NUMBER.search(line)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def _total_number(lines) -> int | None:
    for line in lines:
        match = TOTAL_NUMBER.search(line)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None


def _year(lines) -> int | None:
    for line in lines:
        match = DATE.search(line) if len(line) <= DATE_LINE_MAX else None
        if match:
            return int(YEAR.search(match.group(0)).group(1))
    return None
