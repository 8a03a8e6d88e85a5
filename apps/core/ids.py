"""Primary keys that arrive as text (query strings, form fields), read strictly."""

import re

# The largest value of a BigAutoField (a signed 64-bit integer, on PostgreSQL and SQLite).
BIG_AUTO_MAX = 2**63 - 1

# ASCII digits only: str.isdigit() also accepts "²" and "①", on which int() fails, and int()
# itself reads "٣" as 3, " 1" as 1 and "1_0" as 10; none of them is an id we ever printed.
_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """Return `value` as a primary key, or None unless it is an id between 1 and BIG_AUTO_MAX."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= BIG_AUTO_MAX else None
