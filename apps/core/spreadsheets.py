"""Cells of the Excel and CSV files we write are shown as text, never run as formulas.

A spreadsheet program reads a cell that begins with =, +, -, @, a tab or a carriage return as
a formula (CSV or formula injection): a subscriber's name or an article title typed that way
could fetch data from elsewhere or run a command on the computer of whoever opens the export.
OWASP's rule: begin such a value with a single quote, so that it shows as the text it is. A
phone number such as "+86 374…" or "-" stays readable, as text, which is what it is.

Every writer (the subscriber export, the import template, the readership workbook) passes its
values through `neutralise`, or appends its rows with `append_row`.
"""

import re
from collections.abc import Iterable

# OWASP's list: the characters with which a spreadsheet program starts a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The control characters an .xlsx cannot hold (XML 1.0; openpyxl's ILLEGAL_CHARACTERS_RE, which
# raises on them): a title or a typed text carrying one would otherwise end the export in an
# error. They show as nothing anyway; dropped.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """Return `value` without the control characters no spreadsheet holds, and with a leading
    quote if a spreadsheet program would read it as a formula."""
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def neutralised(values: Iterable) -> list:
    """Return the cells of one row, each passed through `neutralise`."""
    return [neutralise(value) for value in values]


def restore(text: str) -> str:
    """Undo `neutralise` on a value read back from a file we wrote (an export, re-imported)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def append_row(sheet, values: Iterable) -> None:
    """Append one row to an openpyxl worksheet, none of its text stored as a formula."""
    # openpyxl stores a str beginning with "=" as a formula; after `neutralise` none does.
    sheet.append(neutralised(values))
