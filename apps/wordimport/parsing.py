"""A Word issue (.docx) read into plain dataclasses: the editor's note, sections and articles.

python-docx decides what each paragraph is (apps.wordimport.classify); mammoth turns the
document into clean HTML. To join the two, every paragraph whose text becomes a field (a
section heading, a title, a source line) is replaced, in a copy of the document, by a marker
in a style of our own that the style map turns into <h1 class="wi-marker">; subheadings get
a style mapped to <h3>. The HTML is then cut at the markers. Nothing here touches the
database: the result is shown in the preview and, once confirmed, created by
apps.wordimport.creating.
"""

import io
import logging
import re
from dataclasses import dataclass, field

import docx
import mammoth
from django.conf import settings
from docx.enum.style import WD_STYLE_TYPE

from apps.wordimport import bodies
from apps.wordimport.checks import NOT_WORD, ImportRefused, check_package
from apps.wordimport.classify import (
    MARKER_ROLES,
    Classification,
    Role,
    classify,
    heading_name,
)
from apps.wordimport.pictures import ImageReader, ParsedImage

logger = logging.getLogger(__name__)

MAX_BLOCKS = 20_000
# Each article is a handful of fields in the preview's form; Django accepts 1000 fields.
MAX_ARTICLES = 60

MARKER_STYLE = "WordImport Marker"
SUBHEADING_STYLES = {3: "WordImport Heading 3", 4: "WordImport Heading 4"}
MARKER_TEXT = "wordimport-marker-{}"
MARKER = re.compile(r"wordimport-marker-(\d+)")
STYLE_MAP = f"""
p[style-name='{MARKER_STYLE}'] => h1.wi-marker:fresh
p[style-name='{SUBHEADING_STYLES[3]}'] => h3:fresh
p[style-name='{SUBHEADING_STYLES[4]}'] => h4:fresh
p[style-name='Title'] => p:fresh
p[style-name='Subtitle'] => p:fresh
"""
# mammoth's notes about styles it has no mapping for: the paragraphs are kept as <p>, which
# is what the editor wants, so these are not worth a warning.
QUIET_MESSAGES = ("Unrecognised paragraph style", "Unrecognised run style")

UNREADABLE = "无法读取该 Word 文档，文件可能已损坏。请在 Word 中打开并重新保存为 .docx 后再试。"
NO_TEXT = "文档中没有文字内容，请确认选择了正确的文件。"
TOO_LONG = "文档过长，无法一次导入。请把一期的内容放在一个文档中，其他内容另行导入。"
TOO_MANY_ARTICLES = (
    f"识别出的文章超过 {MAX_ARTICLES} 篇，可能是标题格式没有被正确识别。"
    "请把文章标题设为加粗或“标题”样式后再试。"
)


@dataclass
class ParsedArticle:
    title: str
    section_name: str | None  # the heading it stood under; None before the first heading
    subtitle: str = ""
    source: str = ""
    author: str = ""
    parts: list[str] = field(default_factory=list)
    image_indexes: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def body_html(self) -> str:
        return "".join(self.parts)

    @property
    def text(self) -> str:
        return bodies.plain_text(self.body_html)

    @property
    def character_count(self) -> int:
        return bodies.character_count(self.body_html)

    @property
    def summary(self) -> str:
        return bodies.summary_of(self.body_html)


@dataclass
class ParsedIssue:
    articles: list[ParsedArticle]
    images: list[ParsedImage]
    note_html: str = ""
    has_note: bool = False
    preamble_html: str = ""
    section_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    year_number: tuple[int, int] | None = None
    total_number: int | None = None  # 总第N期 on the masthead
    year: int | None = None  # the document's year (its masthead or its date)
    plain_titles: bool = False

    @property
    def note_text(self) -> str:
        return bodies.plain_text(self.note_html)

    @property
    def preamble_text(self) -> str:
        return bodies.plain_text(self.preamble_html)

    def image(self, index: int) -> ParsedImage | None:
        return self.images[index] if 0 <= index < len(self.images) else None


def parse_docx(data: bytes) -> ParsedIssue:
    """Read a .docx into a ParsedIssue, or raise ImportRefused with the reason in Chinese."""
    check_package(data)
    try:
        return _parse(data)
    except ImportRefused:
        raise
    except Exception as error:
        # python-docx, mammoth and lxml on a damaged or hostile file raise many kinds of
        # errors; the editor gets a reason and the details go to the log.
        logger.warning("Word import: the file could not be read", exc_info=True)
        raise ImportRefused(_reason(error)) from error


def _parse(data: bytes) -> ParsedIssue:
    document = docx.Document(io.BytesIO(data))
    classification = classify(document, publication=settings.PUBLICATION_NAME)
    if len(classification.blocks) > MAX_BLOCKS:
        raise ImportRefused(TOO_LONG)
    if not any(b.text or b.is_table or b.has_picture for b in classification.blocks):
        raise ImportRefused(NO_TEXT)
    markers = _mark(document, classification)
    marked = io.BytesIO()
    document.save(marked)
    marked.seek(0)
    reader = ImageReader()
    result = mammoth.convert_to_html(
        marked,
        style_map=STYLE_MAP,
        convert_image=mammoth.images.img_element(reader),
        include_embedded_style_map=False,
    )
    issue = _group(bodies.top_level_elements(result.value), markers, reader.images)
    issue.plain_titles = classification.plain_titles
    issue.year_number = classification.year_number
    issue.total_number = classification.total_number
    issue.year = classification.year
    issue.warnings[:0] = _document_warnings(issue, result.messages)
    if len(issue.articles) > MAX_ARTICLES:
        raise ImportRefused(TOO_MANY_ARTICLES)
    return issue


def _reason(error) -> str:
    # python-docx says "not a Word file" for a workbook or a presentation.
    if "not a Word file" in str(error) or "no relationship of type" in str(error):
        return NOT_WORD
    return UNREADABLE


def _mark(document, classification: Classification) -> dict[int, object]:
    """Replace fields' paragraphs by markers and style subheadings; return markers by number."""
    styles = document.styles
    for name in (MARKER_STYLE, *SUBHEADING_STYLES.values()):
        try:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        except ValueError:
            pass  # a document that already has it: its paragraphs are told apart by text
    markers = {}
    for block in classification.blocks:
        if block.role in MARKER_ROLES:
            number = len(markers)
            markers[number] = block
            paragraph = block.paragraph.clear()
            paragraph.add_run(MARKER_TEXT.format(number))
            paragraph.style = MARKER_STYLE
        elif block.role is Role.SUBHEADING:
            block.paragraph.style = SUBHEADING_STYLES[block.subheading_level]
    return markers


class _Grouper:
    """Walk the HTML's top-level elements and hand each to the note, an article or the text
    before the first title."""

    def __init__(self, images):
        self.images = images
        self.issue = ParsedIssue(articles=[], images=images)
        self.preamble: list[str] = []
        self.note: list[str] = []
        self.target = self.preamble
        self.article: ParsedArticle | None = None
        self.section: str | None = None
        self.orphan_section = False  # after a section heading, before its first title

    def marker(self, block) -> None:
        if block.role is Role.NOTE:
            self.issue.has_note = True
            self.target, self.article, self.orphan_section = self.note, None, False
        elif block.role is Role.SECTION:
            self.section = heading_name(block.text) or block.text
            if self.section not in self.issue.section_names:
                self.issue.section_names.append(self.section)
            self.target, self.article, self.orphan_section = None, None, True
        elif block.role is Role.TITLE:
            self._start_article(
                block.text,
                subtitle=block.subtitle,
                source=block.source,
                author=block.author,
            )
        # Subtitle and source lines are in their title's fields already.

    def content(self, element) -> None:
        cleaned = bodies.clean(element)
        if cleaned is None:
            return
        broken = [i for i in bodies.image_indexes(cleaned) if self._image_error(i)]
        if broken:
            bodies.drop_images(cleaned, broken)
            if not bodies.has_content(cleaned):
                cleaned = None
        if self.target is None and self.orphan_section:
            self._start_article(self.section, untitled=True)
        article = self.article
        warnings = article.warnings if article else self.issue.warnings
        for index in broken:
            image = self.images[index] if index < len(self.images) else None
            reason = image.error if image else "无法读取该图片。"
            warnings.append(f"第 {index + 1} 张图片未导入：{reason}")
        if cleaned is None:
            return
        if article is not None:
            article.image_indexes += bodies.image_indexes(cleaned)
        self.target.append(bodies.to_html(cleaned))

    def _image_error(self, index) -> bool:
        image = self.images[index] if 0 <= index < len(self.images) else None
        return image is None or image.file is None

    def _start_article(self, title, *, untitled=False, **fields) -> None:
        article = ParsedArticle(title=title, section_name=self.section, **fields)
        if untitled:
            article.warnings.append(
                f"栏目“{self.section}”下有一段文字没有标题，已暂用栏目名作标题，请修改或删除。"
            )
        self.issue.articles.append(article)
        self.article, self.target, self.orphan_section = article, article.parts, False


def _group(elements, markers, images) -> ParsedIssue:
    grouper = _Grouper(images)
    for element in elements:
        if element.tag == "h1" and "wi-marker" in (element.get("class") or ""):
            match = MARKER.fullmatch(element.text_content().strip())
            block = markers.get(int(match.group(1))) if match else None
            if block is not None:
                grouper.marker(block)
                continue
            element.attrib.pop("class", None)  # a paragraph in a style named like ours
            element.tag = "p"
        grouper.content(element)
    issue = grouper.issue
    issue.note_html = "".join(grouper.note)
    issue.preamble_html = "".join(grouper.preamble)
    for article in issue.articles:
        if not article.parts:
            article.warnings.append("没有正文，请删除，或把下一篇并入这一篇。")
    return issue


def _document_warnings(issue: ParsedIssue, messages) -> list[str]:
    warnings = []
    if not issue.has_note:
        warnings.append(
            "没有找到“编者的话”（单独一行的“编者的话”或“●编者的话”），本期将没有编者的话。"
        )
    elif not issue.note_html:
        warnings.append("“编者的话”下面没有文字。")
    if issue.preamble_html:
        warnings.append("第一篇文章标题之前有文字（见下方），这些文字不会导入。")
    if not issue.articles:
        warnings.append(
            "没有识别出文章标题。请把文章标题设为加粗或“标题”样式，栏目名写成“●栏目名”后再试。"
        )
    elif issue.plain_titles:
        warnings.append(
            "文档中的标题没有加粗，也没有使用“标题”样式，系统按“单独一行的短句”识别标题，"
            "请逐篇核对；被误当作标题的小标题可以“并入上一篇”。"
        )
    for message in messages:
        if not message.message.startswith(QUIET_MESSAGES) and "unlikely to display" not in (
            message.message
        ):
            warnings.append(f"部分 Word 格式未能转换：{message.message}")
    return warnings
