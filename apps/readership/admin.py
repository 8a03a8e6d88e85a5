from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.core.admin import ReadOnlyAdminMixin
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.readership.selectors import issue_readership, published_issues, reading_history
from apps.readership.spreadsheets import readership_workbook
from apps.subscribers.admin import SubscriberAdmin
from apps.subscribers.importing import xlsx_response
from apps.subscribers.models import Subscriber


@admin.register(Reading)
class ReadershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """阅读统计: the published issues, each with who read it and what; read-only."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.index_view), name="readership_reading_changelist"),
            path("<int:issue_id>/", wrap(self.issue_view), name="readership_reading_issue"),
            path(
                "<int:issue_id>/export/", wrap(self.export_view), name="readership_reading_export"
            ),
        ]

    def _context(self, request, **context):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **context}

    def index_view(self, request):
        context = self._context(request, title="阅读统计", issues=published_issues())
        return TemplateResponse(request, "admin/readership/index.html", context)

    def issue_view(self, request, issue_id):
        issue = self._published_issue(issue_id)
        context = self._context(
            request,
            title=f"阅读统计：{issue}",
            issue=issue,
            stats=issue_readership(issue),
            export_url=reverse("admin:readership_reading_export", args=[issue.pk]),
        )
        return TemplateResponse(request, "admin/readership/issue.html", context)

    def export_view(self, request, issue_id):
        issue = self._published_issue(issue_id)
        self._context(request)
        workbook = readership_workbook(issue, issue_readership(issue))
        return xlsx_response(workbook, f"阅读统计-{issue.year}-{issue.number}.xlsx")

    @staticmethod
    def _published_issue(issue_id):
        return get_object_or_404(Issue, pk=issue_id, status=Issue.Status.PUBLISHED)


# The subscriber page shows when the subscriber last read, and what. Readership builds on
# subscribers (never the other way), so it extends the subscriber admin with that field.
admin.site.unregister(Subscriber)


@admin.register(Subscriber)
class SubscriberWithReadingAdmin(SubscriberAdmin):
    fieldsets = (*SubscriberAdmin.fieldsets, ("阅读情况", {"fields": ("reading_summary",)}))
    readonly_fields = (*SubscriberAdmin.readonly_fields, "reading_summary")
    change_list_template = "admin/readership/subscriber_change_list.html"

    @admin.display(description="最近阅读")
    def reading_summary(self, subscriber):
        if subscriber.pk is None:
            return "—"
        last_seen, readings = reading_history(subscriber.user)
        if last_seen is None:
            return "尚无阅读记录"
        rows = format_html_join(
            "",
            "<li>{} · {}（{} 次）</li>",
            (
                (
                    timezone.localtime(r.last_read_at).strftime("%Y-%m-%d %H:%M"),
                    r.article or f"{r.issue}（目录）",
                    r.count,
                )
                for r in readings
            ),
        )
        last = timezone.localtime(last_seen).strftime("%Y-%m-%d %H:%M")
        return format_html("<p>最近一次阅读：{}</p><ul>{}</ul>", last, rows)
