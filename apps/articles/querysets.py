from django.apps import apps as django_apps
from django.db import models
from django.db.models.functions import Coalesce

from apps.accounts.access import may_read, sees_leadership_content
from apps.issues.models import Issue

# Sections an issue did not place come after those it did, in their usual order.
UNRANKED = 10_000


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the articles `user` may read; every reader view starts here.

        An article is visible when it is published, its issue is visible, and its
        `visibility` admits the reader (leadership-only articles for leaders and staff).
        """
        if not may_read(user):
            return self.none()
        return self.visible_to_audience(leadership=sees_leadership_content(user))

    def visible_to_audience(self, *, leadership: bool):
        """Return the articles every reader of an audience may read: leaders (`leadership`),
        or everyone (a work group's card, whose members this system does not govern)."""
        visible = self.filter(Issue.live_q("issue__"), status=self.model.Status.PUBLISHED)
        if not leadership:
            visible = visible.filter(visibility=self.model.Visibility.ALL)
        return visible

    def for_contents(self):
        """Load what a table of contents shows, without a query per article, in the issue's
        order: its own order of sections where its editor set one (IssueSection), then the
        usual order of the others, and the articles by position within each section."""
        # Looked up by name: the model is defined after this queryset, in the same app.
        places = django_apps.get_model("articles", "IssueSection").objects
        from_issue = places.filter(
            issue=models.OuterRef("issue"), section=models.OuterRef("section")
        ).values("order")[:1]
        return (
            self.select_related("section")
            .annotate(
                section_rank=Coalesce(
                    models.Subquery(from_issue), models.F("section__order") + UNRANKED
                )
            )
            .order_by("section_rank", "section", "position")
        )
