"""Readable differences between two saved versions of an issue or an article."""

import difflib
from html.parser import HTMLParser

from django.utils.html import format_html, format_html_join

# Elements that start and end a line of what a reader sees. Rows are lines too; their cells are
# kept apart within the line (CELL_SEPARATOR), so "21.5" and "26.4" never read as "21.526.4".
BLOCKS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "hr",
        "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "br",
    }
)  # fmt: skip
CELLS = frozenset({"td", "th"})
CELL_SEPARATOR = " | "


class _VisibleLines(HTMLParser):
    """Split rich text into the lines a reader sees: one per block, row or line break."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []
        self._line = []
        self._cells_in_row = 0

    def handle_starttag(self, tag, attrs):
        if tag in CELLS:
            if self._cells_in_row:
                self._line.append(CELL_SEPARATOR)
            self._cells_in_row += 1
        elif tag in BLOCKS:
            self._break()
            if tag == "tr":
                self._cells_in_row = 0

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self._break()

    def handle_data(self, data):
        # Stored plain text (a title, a summary) keeps its own line breaks.
        first, *others = data.split("\n")
        self._line.append(first)
        for line in others:
            self._break()
            self._line.append(line)

    def close(self):
        super().close()
        self._break()

    def _break(self):
        line = "".join(self._line).strip()
        self._line = []
        # A row of empty cells is no line of text.
        if line.replace(CELL_SEPARATOR.strip(), "").strip():
            self.lines.append(line)


def text_lines(value) -> list[str]:
    """Turn stored rich text (or any value) into the lines a reader would see."""
    if value is None:
        return []
    parser = _VisibleLines()
    parser.feed(str(value))
    parser.close()
    return parser.lines


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


def compare_fields(model, old, new, names) -> list[dict]:
    """Return, for each of the fields `names` that differs from `old` to `new` (any two
    objects carrying them, e.g. a live article and a proposed correction), its name and a line
    diff."""
    changes = []
    for name in names:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            field = model._meta.get_field(name)
            changes.append(
                {
                    "field": field.verbose_name,
                    "diff": _diff_html(text_lines(before), text_lines(after)),
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
