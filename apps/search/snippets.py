"""A short excerpt of a text around the searched words, with the words marked."""

import re
from html import unescape

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 80
# Bodies are sanitized on save (apps.core.richtext), so their tags are well formed, and the
# excerpt is escaped whole before it is marked: dropping tags with a pattern is safe here, and
# a tenth of the cost of Django's strip_tags (an HTML parser) on ten bodies a page.
TAG = re.compile(r"<[^>]*>")
# A block element's edge is a break in the text: "<h3>一、产业规模</h3><table><tr><td>2023年"
# reads "一、产业规模 2023年", never "一、产业规模2023年". Inline tags (<strong>, <a>) join.
BLOCK_EDGE = re.compile(
    r"<(?:/?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|table|thead|tbody|tfoot|tr|td|th|caption"
    r"|figure|figcaption|blockquote|pre|section|article|header|footer|aside|nav)\b[^>]*"
    r"|br\b[^>]*|hr\b[^>]*)>",
    re.IGNORECASE,
)


def snippet(plain, html, marks) -> str:
    """Return safe HTML: about WIDTH characters of `plain` (text as typed, such as a summary)
    followed by the text of `html` (sanitized rich text), the marks wrapped in <mark>."""
    words = unescape(TAG.sub("", BLOCK_EDGE.sub(" ", html))).split()
    text = " ".join([*plain.split(), *words])
    lowered = text.lower()
    positions = [lowered.find(m) for m in marks if m and lowered.find(m) >= 0]
    start = max(min(positions) - WIDTH // 4, 0) if positions else 0
    excerpt = text[start : start + WIDTH]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + WIDTH < len(text) else ""
    return mark_safe(prefix + highlight(excerpt, marks) + suffix)  # noqa: S308 - escaped below


def highlighted(text, marks) -> str:
    """Return safe HTML: `text` escaped, with the marks wrapped in <mark> (titles)."""
    return mark_safe(highlight(text, marks))  # noqa: S308 - highlight escapes every part


def highlight(text, marks) -> str:
    """Escape `text` and wrap every occurrence of the marks in <mark>."""
    marks = [m for m in marks if m]
    if not marks:
        return escape(text)
    pattern = re.compile("|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True)), re.I)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)
