"""How much form text a request may post: one strict limit, a larger one granted per request.

Django refuses a form whose text (not its uploaded files) is larger than
settings.DATA_UPLOAD_MAX_MEMORY_SIZE, and reads that setting while it parses the body. Staff
pasting a long report into an article need more than a login form ever does (Chinese text is
9 bytes a character once URL-encoded); raising the setting for everyone would let any
anonymous request make a worker hold that much. Changing the setting per request is no answer
either: settings are shared by every thread of the process.

So the setting is a `BodyLimit`: an int that is the strict limit, unless the code parsing the
body runs inside `granted(limit)`. Only config.bad_input.ReadFormMiddleware grants, and only to
signed-in staff on the back office's paths; it parses the form right then, so nothing parses
it later under another limit. Anywhere else, and in every other thread or task (the grant is a
context variable), Django sees the strict limit.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_granted: ContextVar[int | None] = ContextVar("granted_form_limit", default=None)


@contextmanager
def granted(limit: int | None) -> Iterator[None]:
    """Let Django parse up to `limit` bytes of form text in this block (None: the strict one)."""
    token = _granted.set(limit)
    try:
        yield
    finally:
        _granted.reset(token)


class BodyLimit(int):
    """settings.DATA_UPLOAD_MAX_MEMORY_SIZE: the strict limit, or the one granted right now.

    Django only compares the setting with sizes and adds to or subtracts from it; each of these
    reads the current value. Anything using the number as a plain int gets the strict one.
    """

    def current(self) -> int:
        limit = _granted.get()
        return int.__int__(self) if limit is None else limit

    def __int__(self):
        return self.current()

    def __index__(self):
        return self.current()

    def __add__(self, other):
        return self.current() + other

    def __radd__(self, other):
        return other + self.current()

    def __sub__(self, other):
        return self.current() - other

    def __rsub__(self, other):
        return other - self.current()

    def __lt__(self, other):
        return self.current() < other

    def __le__(self, other):
        return self.current() <= other

    def __gt__(self, other):
        return self.current() > other

    def __ge__(self, other):
        return self.current() >= other

    def __eq__(self, other):
        return self.current() == other

    def __ne__(self, other):
        return self.current() != other

    def __hash__(self):
        return int.__hash__(self)

    def __str__(self):
        return str(self.current())

    def __format__(self, spec):
        return format(self.current(), spec)

    def __repr__(self):
        return f"BodyLimit({int.__int__(self)})"
