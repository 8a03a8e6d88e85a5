from django.db import models

from apps.issues.querysets import visible_issue_q


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the articles `user` may read; every reader view starts here.

        An article is visible when it is published, its issue is visible, and its
        `visibility` admits the reader (leadership-only articles for leaders and staff).
        """
        from apps.subscribers.access import may_read, sees_leadership_content

        if not may_read(user):
            return self.none()
        visible = self.filter(visible_issue_q("issue__"), status="published")
        if not sees_leadership_content(user):
            visible = visible.filter(visibility="all")
        return visible

    def for_contents(self):
        """Load what a table of contents shows, without a query per article."""
        return self.select_related("section").order_by("section__order", "section", "position")
