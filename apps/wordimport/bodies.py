"""The HTML mammoth writes, made into what the rich-text editor writes.

mammoth gives clean HTML; what is left to do is the institute's typing and CKEditor 5's
shapes: full-width indentation ("　　") is dropped, a picture on its own line becomes
<figure class="image">, a table <figure class="table">, headings inside an article <h3>/<h4>.
The final allow-list is apps.core.richtext's, applied when the text is stored.
"""

import re

import lxml.html
from lxml import etree

from apps.wordimport.classify import SPACES
from apps.wordimport.pictures import PLACEHOLDER

BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "caption")
HEADING_TAGS = {"h1": "h3", "h2": "h3", "h5": "h4", "h6": "h4"}
SUMMARY_MAX = 120
SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』）)]*")
PLACEHOLDER_SRC = re.compile(rf'src="{re.escape(PLACEHOLDER)}(\d+)"')


def top_level_elements(html: str) -> list:
    """Return mammoth's output as its top-level elements."""
    if not html.strip():
        return []
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    return list(wrapper)


def clean(element):
    """Return the element as the editor would have written it, or None if nothing is left."""
    for tag in BLOCK_TAGS:
        for block in element.iter(tag):
            _strip_start(block)
            _strip_end(block)
    for old, new in HEADING_TAGS.items():
        for heading in element.iter(old):
            heading.tag = new
    if element.tag in HEADING_TAGS:
        element.tag = HEADING_TAGS[element.tag]
    if element.tag == "table":
        figure = etree.Element("figure", {"class": "table"})
        figure.append(element)
        return figure
    if element.tag == "p" and _only_images(element):
        figure = etree.Element("figure", {"class": "image"})
        for image in element.iter("img"):
            figure.append(_detached(image))
        return figure
    if not has_content(element):
        return None
    return element


def to_html(element) -> str:
    element.tail = None
    return lxml.html.tostring(element, encoding="unicode")


def image_indexes(element) -> list[int]:
    indexes = []
    for image in element.iter("img"):
        src = image.get("src", "")
        if src.startswith(PLACEHOLDER) and src[len(PLACEHOLDER) :].isdigit():
            indexes.append(int(src[len(PLACEHOLDER) :]))
    return indexes


def drop_images(element, indexes) -> None:
    """Remove the images numbered `indexes` (those that could not be read), keeping the text."""
    for image in list(element.iter("img")):
        src = image.get("src", "")
        if src.startswith(PLACEHOLDER) and src[len(PLACEHOLDER) :] in {str(i) for i in indexes}:
            _remove_keeping_tail(image)


def with_image_urls(html: str, url_of) -> str:
    """Return `html` with each placeholder replaced by `url_of(index)`, the stored image's URL."""
    return PLACEHOLDER_SRC.sub(lambda match: f'src="{url_of(int(match.group(1)))}"', html)


def plain_text(html: str) -> str:
    """Return the text of the paragraphs, list items and table cells, one per line."""
    if not html.strip():
        return ""
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    lines = []
    for element in wrapper.iter("p", "li", "h3", "h4", "td", "th"):
        if element.tag in ("li", "td", "th") and element.find(".//p") is not None:
            continue  # its paragraphs are counted themselves
        text = element.text_content().strip(SPACES)
        if text:
            lines.append(text)
    return "\n".join(lines)


def paragraph_text(html: str) -> str:
    """Return the text of the top-level paragraphs only: what a summary is made from."""
    if not html.strip():
        return ""
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    texts = [p.text_content().strip(SPACES) for p in wrapper if p.tag == "p"]
    return "".join(text for text in texts if text)


def summary_of(html: str) -> str:
    """Return the first sentence or sentences of the body, at most SUMMARY_MAX characters."""
    text = paragraph_text(html) or plain_text(html).replace("\n", " ")
    summary = ""
    for sentence in SENTENCE.findall(text):
        if len(summary) + len(sentence) > SUMMARY_MAX:
            break
        summary += sentence
    if not summary:
        summary = text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"
    return summary


def character_count(html: str) -> int:
    return sum(1 for character in plain_text(html) if not character.isspace())


def _only_images(element) -> bool:
    images = list(element.iter("img"))
    return bool(images) and not element.text_content().strip(SPACES)


def has_content(element) -> bool:
    """Return whether the element shows anything: text, an image, a table, a rule."""
    if element.tag == "figure":
        return len(element) > 0
    if element.tag in ("hr", "img", "table", "ul", "ol"):
        return True
    return bool(element.text_content().strip(SPACES)) or any(True for _ in element.iter("img"))


def _detached(element):
    _remove_keeping_tail(element)
    return element


def _remove_keeping_tail(element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    element.tail = None
    parent.remove(element)


def _strip_start(element) -> bool:
    """Drop leading spaces of the element's text; return True once real content is reached."""
    if element.text:
        element.text = element.text.lstrip(SPACES)
        if element.text:
            return True
    for child in element:
        if child.tag in ("img", "br") or child.tag in BLOCK_TAGS:
            return True
        if _strip_start(child):
            return True
        if child.tail:
            child.tail = child.tail.lstrip(SPACES)
            if child.tail:
                return True
    return False


def _strip_end(element) -> bool:
    """Drop trailing spaces of the element's text; return True once real content is reached."""
    for child in reversed(element):
        if child.tail:
            child.tail = child.tail.rstrip(SPACES)
            if child.tail:
                return True
        if child.tag in ("img", "br") or child.tag in BLOCK_TAGS:
            return True
        if _strip_end(child):
            return True
    if element.text:
        element.text = element.text.rstrip(SPACES)
        if element.text:
            return True
    return False
