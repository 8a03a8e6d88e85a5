"""Sending feedback (意见和建议), with a limit per subscriber."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.feedback.models import Feedback

# At most this many messages per subscriber in the window: enough for a busy reader,
# too few to flood the editors' inbox.
RATE_LIMIT = 5
RATE_WINDOW = timedelta(hours=1)


def send_feedback(*, author, message, issue=None, article=None) -> Feedback:
    """Store a subscriber's message; raise ValidationError (in Chinese) when over the limit."""
    since = timezone.now() - RATE_WINDOW
    if Feedback.objects.filter(author=author, created_at__gte=since).count() >= RATE_LIMIT:
        raise ValidationError(
            "您在一小时内已提交 %(limit)s 条意见，请稍后再提交。您填写的内容仍保留在下方。",
            code="rate_limited",
            params={"limit": RATE_LIMIT},
        )
    if article is not None:
        issue = article.issue
    return Feedback.objects.create(author=author, message=message, issue=issue, article=article)
