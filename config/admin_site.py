from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpResponseRedirect
from django.urls import path
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.access import acts_as_staff
from apps.core.ids import parse_id
from apps.insight import report_views
from apps.insight import views as insight_views
from apps.subscribers.selectors import EXPIRY_WARNING_DAYS, expiring_soon
from apps.workflow import calendar_views
from apps.workflow.selectors import work_queue


class StaffLoginForm(OTPAdminAuthenticationForm):
    """The back office's login when a second factor is required: password and TOTP code."""

    otp_token = forms.CharField(
        label="动态验证码",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "请输入身份验证器应用显示的 6 位动态验证码。",
        "invalid_token": "动态验证码不正确或已过期，请重新输入当前显示的验证码。",
        "n_failed_attempts": "动态验证码连续输错，验证已暂停，请稍后再试。",
        "verification_not_allowed": "动态验证暂时不可用，请稍后再试。",
        "device_required": "该账号还没有设置身份验证器，请联系系统管理员。",
    }

    def _chosen_device(self, user):
        # Staff have one authenticator (manage.py totp_device): use it without asking.
        chosen = super()._chosen_device(user)
        if chosen is None:
            chosen = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
        return chosen


class BulletinAdminSite(admin.AdminSite):
    """The editorial back office; its index shows each user what waits for them.

    With settings.OTP_REQUIRED (whenever DJANGO_DEBUG is off), staff sign in with their
    password and a TOTP code, and every admin page requires a session verified that way.
    """

    site_header = f"{settings.PUBLICATION_NAME} 编辑部"
    site_title = settings.PUBLICATION_NAME
    index_title = "编辑工作台"

    def has_permission(self, request):
        # The one rule of staff rights (active staff, past the second factor where required).
        return acts_as_staff(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin page; a bulk action with a forged row id ("abc", "1 OR 1=1", 2**70)
        is answered in Chinese here, before Django's changelist filters by it and fails."""
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def inner(request, *args, **kwargs):
            chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if request.POST else []
            if any(parse_id(value) is None for value in chosen):
                if not self.has_permission(request):
                    return guarded(request, *args, **kwargs)
                messages.error(request, "所选条目无效，未执行任何操作。")
                return HttpResponseRedirect(request.get_full_path())
            return guarded(request, *args, **kwargs)

        return inner

    @property
    def login_form(self):
        return StaffLoginForm if settings.OTP_REQUIRED else AdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/login_totp.html" if settings.OTP_REQUIRED else None

    def get_urls(self):
        # Before the admin's own, whose "<app_label>/" pattern would otherwise be tried first.
        return [
            path("calendar/", self.admin_view(calendar_views.month_view), name="calendar"),
            path(
                "calendar/subscription/",
                self.admin_view(calendar_views.subscription_view),
                name="calendar_subscription",
            ),
            path("insight/", self.admin_view(insight_views.dashboard), name="insight"),
            path(
                "insight/report/", self.admin_view(report_views.report_view), name="insight_report"
            ),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        context = {"work_queue": work_queue(request.user), **(extra_context or {})}
        if request.user.has_perm("subscribers.view_subscriber"):
            context["expiring_count"] = expiring_soon().count()
            context["expiry_warning_days"] = EXPIRY_WARNING_DAYS
        return super().index(request, extra_context=context)
