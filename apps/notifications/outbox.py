"""Every e-mail but the issue's goes out through the worker, after the transaction commits.

`EMAIL_BACKEND` is `QueuedEmailBackend`: Django's password reset, the invitations and the
office's notices call `send_mail` as usual, and the message is handed to the `send_message`
task instead of to the mail server (apps/core/handover.py: in the caller's transaction). The worker
sends it with `EMAIL_TRANSPORT` (SMTP in production, the console in development) and tries
again on a passing failure.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django_tasks import task

from apps.core.handover import hand_over
from apps.notifications import retries

logger = logging.getLogger(__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """Hands each message to the worker once the current transaction commits."""

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            # Building the MIME message refuses a header with a line break here, in the
            # caller, rather than in the worker later.
            message.message()
            hand_over(send_message, _as_data(message))
            count += 1
        return count


@task()
def send_message(message: dict, attempt: int = 1) -> str:
    """Send one queued message with the real transport; on a passing failure, queue a retry."""
    email = EmailMultiAlternatives(**message)
    try:
        get_connection(settings.EMAIL_TRANSPORT, fail_silently=False).send_messages([email])
    except (smtplib.SMTPException, OSError) as error:
        wait = None if retries.is_permanent(error) else retries.delay_after(attempt)
        if wait is None:
            # The task is recorded as failed, with the error, for the operator.
            raise
        logger.warning(
            "mail to %s failed (attempt %d), retrying: %s",
            email.to,
            attempt,
            retries.describe(error),
        )
        send_message.using(run_after=timezone.now() + wait).enqueue(message, attempt + 1)
        return "retry"
    return "sent"


def _as_data(message) -> dict:
    """The message as JSON for the task queue. Our mails carry no attachments; refuse them
    rather than drop them."""
    if message.attachments:
        raise ValueError("Queued e-mails cannot carry attachments.")
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }
