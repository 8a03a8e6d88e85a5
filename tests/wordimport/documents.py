"""Word files for the import tests, built with python-docx from the sample issue's text.

The sample (`bulletin-sample.txt`, a copy of the institute's issue as plain text, kept here so
that a clean clone has it) is laid out as the institute types it: "●编者的话" and "●行业趋势"
on lines of their own, bodies indented with full-width spaces, subheadings as short lines.
Which lines are titles comes from apps/demo/sample_issue.json, the same issue split by hand.
"""

import io
import json
import zipfile
from pathlib import Path

import lxml.html
from docx import Document
from docx.shared import Pt
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE_TEXT = HERE / "bulletin-sample.txt"
SAMPLE_ISSUE = json.loads((ROOT / "apps/demo/sample_issue.json").read_text(encoding="utf-8"))
TITLES = [article["title"] for article in SAMPLE_ISSUE["articles"]]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sample_lines() -> list[str]:
    """The sample's non-empty lines; a stray ASCII space before a line is dropped, the
    full-width indentation kept."""
    text = SAMPLE_TEXT.read_text(encoding="utf-8")
    return [line.lstrip(" ") for line in text.splitlines() if line.strip()]


def build(lines=None, *, titles="bold", sections="marks", note=True, add=None) -> bytes:
    """Return a .docx of `lines` (the sample's by default).

    titles: "bold" (a short bold line), "headings" (Heading 2), "plain" (no formatting).
    sections: "marks" (●行业趋势, as typed) or "headings" (Heading 1 without the mark).
    note: False leaves out 编者的话 and its text.
    add: called as add(document, title) after each title's paragraph, to put more in.
    """
    document = Document()
    skipping_note = False
    for line in sample_lines() if lines is None else lines:
        bare = line.strip()
        if bare.startswith("●"):
            name = bare[1:]
            skipping_note = not note and name == "编者的话"
            if skipping_note:
                continue
            if sections == "headings":
                document.add_heading(name, level=1)
            else:
                document.add_paragraph().add_run(bare).bold = True
        elif bare in TITLES:
            skipping_note = False
            if titles == "bold":
                run = document.add_paragraph().add_run(bare)
                run.bold = True
                run.font.size = Pt(16)
            elif titles == "headings":
                document.add_heading(bare, level=2)
            else:
                document.add_paragraph(bare)
            if add is not None:
                add(document, bare)
        elif not skipping_note:
            document.add_paragraph(line)
    return save(document)


def save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png(size=(120, 80), color=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def broken_png() -> bytes:
    """A file named .png whose content Pillow cannot read: put in place of a real picture.

    Its header is broken, not only its pixels: once WeasyPrint is imported (the PDF), Pillow
    accepts truncated images in the whole process (weasyprint/images.py sets
    ImageFile.LOAD_TRUNCATED_IMAGES), so a truncated picture would pass in some test orders.
    """
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dnot a header" * 4


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """Return the zip `data` with member `name` replaced by `content`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item))
    return out.getvalue()


def paragraphs_of(html: str) -> list[tuple[str, str]]:
    """The top-level blocks of rich text as (tag, text), to compare bodies."""
    if not html:
        return []
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    return [(element.tag, element.text_content().strip()) for element in wrapper]
