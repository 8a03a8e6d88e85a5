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

    @staticmethod
    def newest_first_order(prefix: str = "") -> tuple[str, str]:
        """Return the order of issues, the latest first: by (year, number).

        The bulletin's numbers say which issue is later, not when each went live: 第1期
        published after 第2期 is still the older one. `prefix` reaches an issue through a
        relation (`"issue__"`), so lists of articles follow the same order.
        """
        return (f"-{prefix}year", f"-{prefix}number")

    def newest_first(self):
        """Return the issues in the bulletin's order, the latest (highest year, number) first."""
        return self.order_by(*self.newest_first_order())
