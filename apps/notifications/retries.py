"""When a failed e-mail is tried again: three attempts over about an hour, then it has failed.

One policy for both kinds of mail (the issue's deliveries and the office's single messages).
"""

import smtplib
from datetime import timedelta

MAX_ATTEMPTS = 3
# The wait after the first and after the second failed attempt.
DELAYS = (timedelta(minutes=10), timedelta(minutes=40))
# What the last error says, cut so that a server's long answer fits the admin's list.
MAX_ERROR_LENGTH = 500


def delay_after(attempt: int) -> timedelta | None:
    """Return how long to wait after failed attempt number `attempt`, or None: give up."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return DELAYS[attempt - 1]


def is_permanent(error: Exception) -> bool:
    """A 5xx refusal of the recipient will not change within the hour: do not try again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def describe(error: Exception) -> str:
    """A short description of an SMTP or network error for the admin."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Without the address: the page that lists errors shows whose they are.
        text = "; ".join(
            f"{code} {reply.decode(errors='replace')}" for code, reply in error.recipients.values()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode(errors="replace")
        text = f"{error.smtp_code} {reply}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR_LENGTH]
