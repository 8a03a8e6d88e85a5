"""The print edition in Chromium: the sample issue's print page at phone and desktop sizes.

Screenshots land in artifacts/screenshots/ (print-375.png, print-1366.png), and Chromium's own
print of the page in artifacts/pdf/print-chromium.pdf; the PDF's renders come from
tests/reader/test_print_edition.py.
"""

import base64
import io
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_reader_journey import no_horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "pdf"


def png_data_url(width, height):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (168, 32, 26)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("width", [320, 375, 1366])
def test_the_print_page_reads_like_a_printed_bulletin(browser, base_url, width):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    try:
        sign_in(page, base_url)
        page.goto(f"{base_url}/issues/2023/12/print/")

        # The masthead on one line, inside the page.
        masthead = page.locator(".print-masthead")
        expect(masthead).to_have_text("许昌竞争情报快递")
        lines = masthead.evaluate(
            "el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)"
        )
        assert lines < 1.5
        assert masthead.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert no_horizontal_overflow(page)

        # The reader's mark above the masthead, in the flow: it covers nothing.
        mark = page.locator(".reader-mark").bounding_box()
        cover = page.locator(".print-cover").bounding_box()
        assert mark["y"] + mark["height"] <= cover["y"]
        assert page.locator(".reader-mark").evaluate("el => getComputedStyle(el).position") in (
            "static",
            "relative",
        )

        # Contents: titles aligned under their sections, no page numbers in a browser.
        starts = page.locator(".toc-line:not(.toc-section) a").evaluate_all(
            "links => links.map(a => Math.round(a.getBoundingClientRect().left))"
        )
        assert len(starts) == 4 and len(set(starts)) == 1  # four articles
        assert not page.locator(".print-contents").inner_text().rstrip().endswith("8")

        # A 640×360 picture keeps its proportions however narrow the column.
        page.locator(".rich-text").first.evaluate(
            """(el, src) => { const img = new Image(640, 360); img.src = src;
                 img.alt = "test"; img.id = "proportion-test"; el.prepend(img); }""",
            png_data_url(640, 360),
        )
        box = page.locator("#proportion-test").bounding_box()
        assert abs(box["width"] / box["height"] - 640 / 360) < 0.02, box
        page.evaluate("document.getElementById('proportion-test').remove()")

        if width != 320:
            screenshot(page, f"print-{width}")
    finally:
        context.close()


def test_printing_from_the_browser_marks_every_page_in_the_margin(browser, base_url):
    """The browser's print dialog, as Chromium prints it: the reader's mark in the bottom
    margin of every page (the print page's mark stylesheet), below the text, never over it."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    try:
        sign_in(page, base_url)
        page.goto(f"{base_url}/issues/2023/12/print/")
        document = page.pdf(prefer_css_page_size=True)
    finally:
        context.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    printed = ARTIFACTS / "print-chromium.pdf"
    printed.write_bytes(document)
    # Each word with its box, page by page (poppler's pdftotext; y grows downwards).
    layout = subprocess.run(  # noqa: S603
        ["pdftotext", "-bbox", str(printed), "-"],  # noqa: S607
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pages = re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', layout, re.S)
    assert len(pages) >= 6
    word = re.compile(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>'
    )
    for number, (height, words) in enumerate(pages, start=1):
        boxes = [(float(top), float(bottom), text) for top, bottom, text in word.findall(words)]
        margin = float(height) - 24 / 25.4 * 72  # the page's bottom margin: 24 mm
        # (The first page also has the line above the masthead, in the text.)
        marks = [top for top, _, text in boxes if text == "许昌市人民政府" and top >= margin]
        assert marks, f"page {number}: no mark in the bottom margin"
        text = [bottom for top, bottom, _ in boxes if top < margin]
        assert max(text) < min(marks), f"page {number}: the mark meets the text"
