from django.db import models
from django.utils import timezone


def visible_issue_q(prefix: str = "") -> models.Q:
    """Return the condition for an issue readers may see: published, and its time has come.

    A future `published_at` is how an issue is scheduled, so no job has to run for it to appear.
    """
    return models.Q(
        **{f"{prefix}status": "published", f"{prefix}published_at__lte": timezone.now()}
    )


class IssueQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the issues `user` may read (none for anyone without a valid subscription)."""
        from apps.subscribers.access import may_read

        if not may_read(user):
            return self.none()
        return self.filter(visible_issue_q())
