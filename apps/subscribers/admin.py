from datetime import timedelta
from urllib.parse import quote

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from apps.accounts import user_cache
from apps.issues.models import Issue
from apps.subscribers import spreadsheets
from apps.subscribers.forms import SubscriberAdminForm
from apps.subscribers.invitations import send_invitation
from apps.subscribers.models import Feedback, Subscriber
from apps.subscribers.resources import SubscriberResource
from apps.subscribers.selectors import EXPIRY_WARNING_DAYS, issue_readership, reading_history


class SubscriptionStateFilter(admin.SimpleListFilter):
    title = "订阅状态"
    parameter_name = "subscription"

    def lookups(self, request, model_admin):
        return [
            ("valid", "有效"),
            ("expiring", f"{EXPIRY_WARNING_DAYS} 天内到期"),
            ("expired", "已到期"),
            ("future", "尚未开始"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        current = {"valid_from__lte": today, "valid_until__gte": today}
        if self.value() == "valid":
            return queryset.filter(**current)
        if self.value() == "expiring":
            soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
            return queryset.filter(**current, valid_until__lte=soon)
        if self.value() == "expired":
            return queryset.filter(valid_until__lt=today)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(ImportExportModelAdmin):
    form = SubscriberAdminForm
    resource_classes = [SubscriberResource]
    import_formats = [XLSX, CSV]
    export_formats = [XLSX, CSV]
    list_display = (
        "name",
        "organization",
        "kind",
        "region",
        "valid_until",
        "state",
        "is_active",
    )
    list_filter = (
        "kind",
        "region",
        "industries",
        SubscriptionStateFilter,
        ("user__is_active", admin.BooleanFieldListFilter),
    )
    list_select_related = ("user",)
    search_fields = (
        "user__username",
        "user__last_name",
        "user__first_name",
        "user__email",
        "user__mobile",
        "organization",
        "phone",
    )
    actions = ["activate", "suspend", "extend_one_year", "invite"]
    fieldsets = (
        ("账号", {"fields": ("username", "full_name", "mobile", "email", "is_active")}),
        ("订户", {"fields": ("kind", "organization", "position", "region", "phone")}),
        ("订阅", {"fields": ("valid_from", "valid_until", "industries", "notify_by_email")}),
        ("备注", {"fields": ("notes",)}),
        ("阅读情况", {"fields": ("reading_summary",)}),
    )
    readonly_fields = ("reading_summary",)
    change_list_template = "admin/subscribers/subscriber/change_list.html"

    def get_queryset(self, request):
        subscribers = super().get_queryset(request)
        if request.user.is_superuser:
            return subscribers
        # A staff member who also reads the bulletin is not the subscriber managers' to edit:
        # changing that account's e-mail and inviting it would hand them a staff login.
        return subscribers.filter(user__is_staff=False, user__is_superuser=False)

    @admin.display(description="姓名", ordering="user__last_name")
    def name(self, subscriber):
        return subscriber.user.get_full_name() or subscriber.user.username

    @admin.display(description="账号可用", boolean=True, ordering="user__is_active")
    def is_active(self, subscriber):
        return subscriber.user.is_active

    @admin.display(description="状态")
    def state(self, subscriber):
        today = timezone.localdate()
        if subscriber.valid_until < today:
            return "已到期"
        if subscriber.valid_from > today:
            return "尚未开始"
        if subscriber.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            return "即将到期"
        return "有效"

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

    # --- actions ---

    @admin.action(description="启用所选订户的账号", permissions=["change"])
    def activate(self, request, queryset):
        count = self._set_active(queryset, True)
        self.message_user(request, f"已启用 {count} 个账号。", messages.SUCCESS)

    @admin.action(description="停用所选订户的账号", permissions=["change"])
    def suspend(self, request, queryset):
        count = self._set_active(queryset, False)
        self.message_user(
            request, f"已停用 {count} 个账号，下一次打开页面即生效。", messages.SUCCESS
        )

    @staticmethod
    def _set_active(queryset, active):
        users = get_user_model().objects.filter(pk__in=queryset.values("user_id"), is_staff=False)
        user_ids = list(users.values_list("pk", flat=True))
        count = users.update(is_active=active)
        user_cache.forget(*user_ids)  # an update sends no signal; the next request must know
        return count

    @admin.action(description="所选订户续订一年", permissions=["change"])
    def extend_one_year(self, request, queryset):
        today = timezone.localdate()
        for subscriber in queryset:
            start = max(subscriber.valid_until, today - timedelta(days=1))
            subscriber.valid_until = _one_year_after(start)
            subscriber.save(update_fields=["valid_until"])
        self.message_user(request, f"已为 {queryset.count()} 个订户续订一年。", messages.SUCCESS)

    @admin.action(description="发送开通邀请邮件（设置密码链接）", permissions=["change"])
    def invite(self, request, queryset):
        base_url = request.build_absolute_uri("/")
        sent, skipped = 0, []
        for subscriber in queryset.select_related("user"):
            user = subscriber.user
            if not user.email or not user.is_active or user.is_staff or user.is_superuser:
                skipped.append(str(subscriber))
                continue
            send_invitation(subscriber.user, base_url=base_url)
            sent += 1
        self.message_user(request, f"已发送 {sent} 封邀请邮件。", messages.SUCCESS)
        if skipped:
            names = "、".join(skipped)
            self.message_user(
                request,
                f"未发送（没有邮箱、账号已停用或是工作人员账号）：{names}",
                messages.WARNING,
            )

    # --- extra pages: import template, readership ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import-template/", wrap(self.import_template_view), name="subscribers_template"),
            path("readership/", wrap(self.readership_index_view), name="subscribers_readership"),
            path(
                "readership/<int:issue_id>/",
                wrap(self.readership_view),
                name="subscribers_readership_issue",
            ),
            path(
                "readership/<int:issue_id>/export/",
                wrap(self.readership_export_view),
                name="subscribers_readership_export",
            ),
            *super().get_urls(),
        ]

    def _require_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def import_template_view(self, request):
        self._require_view(request)
        return _xlsx_response(spreadsheets.import_template(), "订户导入模板.xlsx")

    def readership_index_view(self, request):
        self._require_view(request)
        issues = Issue.objects.filter(status="published").order_by("-published_at")[:100]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "阅读统计",
            "issues": issues,
        }
        return TemplateResponse(request, "admin/subscribers/readership_index.html", context)

    def readership_view(self, request, issue_id):
        self._require_view(request)
        issue = get_object_or_404(Issue, pk=issue_id, status="published")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"阅读统计：{issue}",
            "issue": issue,
            "stats": issue_readership(issue),
            "export_url": reverse("admin:subscribers_readership_export", args=[issue.pk]),
        }
        return TemplateResponse(request, "admin/subscribers/readership_issue.html", context)

    def readership_export_view(self, request, issue_id):
        self._require_view(request)
        issue = get_object_or_404(Issue, pk=issue_id, status="published")
        workbook = spreadsheets.readership_workbook(issue, issue_readership(issue))
        return _xlsx_response(workbook, f"阅读统计-{issue.year}-{issue.number}.xlsx")


def _one_year_after(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _xlsx_response(workbook_bytes, filename):
    response = HttpResponse(
        workbook_bytes,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "author", "excerpt", "about", "status", "assignee")
    list_filter = ("status", "assignee", "created_at")
    list_select_related = ("author", "issue", "article", "assignee")
    search_fields = ("message", "reply", "author__username", "author__last_name")
    fields = ("author", "created_at", "issue", "article", "message", "status", "assignee", "reply")
    readonly_fields = ("author", "created_at", "issue", "article", "message")

    @admin.display(description="内容")
    def excerpt(self, feedback):
        return feedback.message[:40] + ("…" if len(feedback.message) > 40 else "")

    @admin.display(description="关于")
    def about(self, feedback):
        return feedback.article or feedback.issue or "—"

    def has_add_permission(self, request):
        return False

    def save_model(self, request, feedback, form, change):
        if feedback.status == Feedback.Status.HANDLED and feedback.handled_at is None:
            feedback.handled_at = timezone.now()
        if feedback.assignee is None and "reply" in form.changed_data:
            feedback.assignee = request.user
        super().save_model(request, feedback, form, change)
