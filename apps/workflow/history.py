"""Readable differences between two saved versions of an issue or an article."""

import difflib
import html
import re

from django.utils.html import format_html, format_html_join

BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figcaption|tr|table)>|<br\s*/?>", re.I)
TAG = re.compile(r"<[^>]+>")


def text_lines(value) -> list[str]:
    """Turn stored rich text (or any value) into the lines a reader would see."""
    if value is None:
        return []
    text = BLOCK_END.sub("\n", str(value))
    text = html.unescape(TAG.sub("", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def compare_versions(old, new) -> list[dict]:
    """Return, for each field that differs from `old` to `new`, its name and a line diff."""
    delta = new.diff_against(old, foreign_keys_are_objs=True)
    opts = new.instance._meta
    changes = []
    for change in delta.changes:
        field = opts.get_field(change.field)
        changes.append(
            {
                "field": field.verbose_name,
                "diff": _diff_html(_lines(field, change.old), _lines(field, change.new)),
            }
        )
    return changes


def _lines(field, value):
    if field.many_to_many:  # rows of the through table: show the related objects' names
        key = field.m2m_reverse_field_name()
        ids = [row[key] for row in value or []]
        return sorted(str(obj) for obj in field.related_model._default_manager.filter(pk__in=ids))
    return text_lines(value)


def _diff_html(old_lines, new_lines):
    rows = []
    for line in difflib.ndiff(old_lines, new_lines):
        marker, text = line[:1], line[2:]
        if marker == "-":
            rows.append(("del", text))
        elif marker == "+":
            rows.append(("ins", text))
        elif marker == " ":
            rows.append(("same", text))
    return format_html_join("", '<div class="diff-{}">{}</div>', rows) or format_html("")
