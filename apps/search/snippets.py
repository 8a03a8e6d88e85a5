"""A short excerpt of an article around the searched words, with the words marked."""

import re

from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

WIDTH = 80


def snippet(article, terms) -> str:
    """Return safe HTML: about WIDTH characters of the text, terms wrapped in <mark>."""
    text = " ".join(strip_tags(f"{article.summary} {article.body}").split())
    lowered = text.lower()
    positions = [lowered.find(term) for term in terms if term and lowered.find(term) >= 0]
    start = max(min(positions) - WIDTH // 4, 0) if positions else 0
    excerpt = text[start : start + WIDTH]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + WIDTH < len(text) else ""
    return mark_safe(prefix + highlight(excerpt, terms) + suffix)  # noqa: S308 - escaped below


def highlight(text, terms) -> str:
    """Escape `text` and wrap every occurrence of the terms in <mark>."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)
