from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.admin import yes_no
from apps.subscribers.forms import SubscriberAdminForm
from apps.subscribers.importing import SubscriberImportExportMixin
from apps.subscribers.invitations import send_invitation
from apps.subscribers.models import Subscriber
from apps.subscribers.selectors import EXPIRY_WARNING_DAYS


class SubscriptionStateFilter(admin.SimpleListFilter):
    """The list's 状态 column as a filter: a suspended account is 已停用 whatever its dates."""

    title = "订阅状态"
    parameter_name = "subscription"

    def lookups(self, request, model_admin):
        return [
            ("valid", "有效"),
            ("expiring", f"{EXPIRY_WARNING_DAYS} 天内到期"),
            ("expired", "已到期"),
            ("future", "尚未开始"),
            ("suspended", "已停用"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "suspended":
            return queryset.filter(user__is_active=False)
        today = timezone.localdate()
        active = queryset.filter(user__is_active=True)
        current = {"valid_from__lte": today, "valid_until__gte": today}
        if self.value() == "valid":
            return active.filter(**current)
        if self.value() == "expiring":
            soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
            return active.filter(**current, valid_until__lte=soon)
        if self.value() == "expired":
            return active.filter(valid_until__lt=today)
        if self.value() == "future":
            return active.filter(valid_from__gt=today)
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberImportExportMixin):
    """Subscribers; their import, export and import template are SubscriberImportExportMixin's."""

    form = SubscriberAdminForm
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
        "wecom_userid",
    )
    actions = ["activate", "suspend", "extend_one_year", "invite"]
    fieldsets = (
        ("账号", {"fields": ("username", "full_name", "mobile", "email", "is_active")}),
        ("订户", {"fields": ("kind", "organization", "position", "region", "phone")}),
        ("订阅", {"fields": ("valid_from", "valid_until", "industries", "notify_by_email")}),
        ("企业微信", {"fields": ("wecom_userid",)}),
        ("备注", {"fields": ("notes",)}),
    )
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

    @admin.display(description="账号可用", ordering="user__is_active")
    def is_active(self, subscriber):
        return yes_no(subscriber.user.is_active)

    @admin.display(description="状态")
    def state(self, subscriber):
        # A suspended account reads nothing, whatever its dates say (accounts.access.may_read).
        if not subscriber.user.is_active:
            return "已停用"
        today = timezone.localdate()
        if subscriber.valid_until < today:
            return "已到期"
        if subscriber.valid_from > today:
            return "尚未开始"
        if subscriber.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            return "即将到期"
        return "有效"

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
        return users.update(is_active=active)

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


def _one_year_after(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
