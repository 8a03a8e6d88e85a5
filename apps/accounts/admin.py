from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import LoginLockout, User
from apps.core.changelists import BoundedChangeListMixin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "get_full_name", "email", "mobile", "is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "mobile")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("last_name", "first_name", "email", "mobile")}),
        (
            "权限",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("重要日期", {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description="姓名")
    def get_full_name(self, user):
        return user.get_full_name()


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Logins refused after too many wrong passwords; lifting a lock deletes its record."""

    list_display = ("username", "ip_address", "failures", "attempt_time", "locked")
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    actions = ["unlock"]
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    readonly_fields = fields

    def get_queryset(self, request):
        attempts = super().get_queryset(request)
        if request.user.is_superuser:
            return attempts
        # Subscriber administrators reach subscribers only, never a staff account's lock.
        readers = User.objects.filter(is_staff=False, is_superuser=False).values("username")
        return attempts.filter(username__in=readers)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "unlock" says what deleting means
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="失败次数", ordering="failures_since_start")
    def failures(self, attempt):
        return attempt.failures_since_start

    @admin.display(description="已锁定", boolean=True)
    def locked(self, attempt):
        return attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description="解除所选账号的登录锁定", permissions=["delete"])
    def unlock(self, request, queryset):
        names = sorted(set(queryset.values_list("username", flat=True)))
        queryset.delete()
        self.message_user(
            request, f"已解除登录锁定：{'、'.join(names)}。对方现在可以重新登录。", messages.SUCCESS
        )


# django-otp's device list, with the project's guard on list filters (dates at the edges).
# Its secret-revealing pages stay closed (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA): a secret is
# shown once, on the server, by `manage.py totp_device`.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(BoundedChangeListMixin, TOTPDeviceAdmin):
    list_filter = ("confirmed",)  # staff have one device each; dates add nothing to filter by
