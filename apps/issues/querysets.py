from django.db import models

from apps.accounts.access import may_read


class IssueQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the issues `user` may read (none for anyone without a valid subscription)."""
        if not may_read(user):
            return self.none()
        return self.live()

    def live(self):
        """Return the issues readers see: published, and their time has come."""
        return self.filter(self.model.live_q())
