from django.contrib import admin

from apps.core.changelists import BoundedChangeListMixin
from apps.feedback.models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = ("created_at", "author", "excerpt", "about", "status", "assignee")
    list_filter = ("status", "assignee", "created_at")
    list_select_related = ("author", "issue", "article", "assignee")
    search_fields = ("message", "reply", "author__username", "author__last_name")
    fields = (
        "author",
        "created_at",
        "issue",
        "article",
        "message",
        "status",
        "handled_at",
        "assignee",
        "reply",
    )
    readonly_fields = ("author", "created_at", "issue", "article", "message", "handled_at")

    @admin.display(description="内容")
    def excerpt(self, feedback):
        return feedback.message[:40] + ("…" if len(feedback.message) > 40 else "")

    @admin.display(description="关于")
    def about(self, feedback):
        return feedback.article or feedback.issue or "—"

    def has_add_permission(self, request):
        return False

    def save_model(self, request, feedback, form, change):
        # Status and handled_at follow the reply in Feedback.save().
        if feedback.assignee is None and "reply" in form.changed_data:
            feedback.assignee = request.user
        super().save_model(request, feedback, form, change)
