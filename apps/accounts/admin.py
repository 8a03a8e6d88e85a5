from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.templatetags.static import static
from django.utils.html import format_html
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import LoginLockout, User
from apps.core.changelists import BoundedChangeListMixin


def yes_no(value):
    """Django's yes/no icon, read aloud in Chinese (Django's own says "True" or "False")."""
    icon, word = ("yes", "是") if value else ("no", "否")
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), word)


# --- permissions, as a superuser grants them to a role or an account ---

# Django names a model's permissions "Can add <model>" in English, whatever the model's name.
PERMISSION_ACTIONS = {"add": "添加", "change": "修改", "delete": "删除", "view": "查看"}
# Besides the project's own apps: the accounts' and the authenticators'. The libraries' tables
# (login attempts, tasks, sessions, history tables) are never granted by hand: the roles come
# from migrations, and superusers need no permission.
GRANTED_APPS = {"auth", "otp_totp"}
# Tables of the project's that only the system writes (the search index follows the articles).
UNGRANTED_MODELS = {"search.searchdocument"}


def permission_label(permission):
    """A permission as the back office names it: app, model and what it allows, in Chinese."""
    model = permission.content_type.model_class()
    app = apps.get_app_config(permission.content_type.app_label).verbose_name
    name = model._meta.verbose_name if model else permission.content_type.model
    action = permission.codename.split("_", 1)[0]
    if permission.name.startswith("Can ") and action in PERMISSION_ACTIONS:
        return f"{app} | {name} | 可以{PERMISSION_ACTIONS[action]}{name}"
    return f"{app} | {name} | {permission.name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, permission):
        return permission_label(permission)


def grantable_permissions(held=None):
    """The permissions offered in the user and group forms (and any the object already has)."""
    labels = GRANTED_APPS | {
        config.label for config in apps.get_app_configs() if config.name.startswith("apps.")
    }
    permissions = Permission.objects.select_related("content_type")
    offered = [
        permission.pk
        for permission in permissions.filter(content_type__app_label__in=labels)
        # simple-history's tables (HistoricalArticle …) are written by the history, not people.
        if not permission.content_type.model.startswith("historical")
        and ".".join(permission.content_type.natural_key()) not in UNGRANTED_MODELS
    ]
    return permissions.filter(Q(pk__in=offered) | Q(pk__in=held or [])).order_by(
        "content_type__app_label", "content_type__model", "codename"
    )


class PermissionsInChineseMixin:
    """The permission picker of the user and group forms, in Chinese and without the
    libraries' internal tables."""

    permission_fields = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The picker keeps what the object holds, so that saving never drops a permission.
        request.permissions_held = (
            list(getattr(obj, self.permission_fields[0]).values_list("pk", flat=True))
            if obj is not None
            else []
        )
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.permission_fields:
            kwargs["queryset"] = grantable_permissions(getattr(request, "permissions_held", []))
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Deleting a group or an account lists the rows of Django's link tables that go with it, by
# names Django makes in English ("user-group relationship: User_groups object (1)").
LINK_TABLES = (
    (User.groups.through, "账号所属角色", lambda link: f"{link.user} 属于 {link.group}"),
    (
        User.user_permissions.through,
        "账号的单独权限",
        lambda link: f"{link.user}：{permission_label(link.permission)}",
    ),
    (
        Group.permissions.through,
        "角色的权限",
        lambda link: f"{link.group}：{permission_label(link.permission)}",
    ),
)
for _table, _name, _describe in LINK_TABLES:
    _table._meta.verbose_name = _table._meta.verbose_name_plural = _name
    _table.__str__ = _describe

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionsInChineseMixin, DjangoGroupAdmin):
    permission_fields = ("permissions",)


@admin.register(User)
class UserAdmin(PermissionsInChineseMixin, DjangoUserAdmin):
    permission_fields = ("user_permissions",)
    # Django's own page says "After you’ve created a user…" in English.
    add_form_template = "admin/accounts/user/add_form.html"
    list_display = ("username", "get_full_name", "email", "mobile", "staff", "active")
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

    @admin.display(description="工作人员", ordering="is_staff")
    def staff(self, user):
        return yes_no(user.is_staff)

    @admin.display(description="有效", ordering="is_active")
    def active(self, user):
        return yes_no(user.is_active)


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Logins refused after too many wrong passwords; lifting a lock deletes its record."""

    # django-axes' fields are named in English and axes has no Chinese catalogue: each column
    # is shown through a method with a Chinese name (the list's headers and the read-only
    # page's labels alike).
    list_display = ("login_name", "address", "failures", "last_attempt", "locked")
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    actions = ["unlock"]
    fields = ("login_name", "address", "browser", "failures", "last_attempt")
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

    @admin.display(description="登录名", ordering="username")
    def login_name(self, attempt):
        return attempt.username

    @admin.display(description="IP 地址", ordering="ip_address")
    def address(self, attempt):
        return attempt.ip_address

    @admin.display(description="浏览器标识")
    def browser(self, attempt):
        return attempt.user_agent

    @admin.display(description="失败次数", ordering="failures_since_start")
    def failures(self, attempt):
        return attempt.failures_since_start

    @admin.display(description="最近一次失败的时间", ordering="attempt_time")
    def last_attempt(self, attempt):
        return attempt.attempt_time

    @admin.display(description="已锁定")
    def locked(self, attempt):
        return yes_no(attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT)

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


# django-otp has no Chinese catalogue: its app, model and fields are named here, for the
# back office (the list, the form, the filters and the permission picker all read them).
apps.get_app_config("otp_totp").verbose_name = "双重验证"
TOTPDevice._meta.verbose_name = TOTPDevice._meta.verbose_name_plural = "身份验证器"
AUTHENTICATOR_FIELDS = {
    "user": ("用户", "使用此身份验证器的账号。"),
    "name": ("名称", "便于辨认的名称，如“王编辑的手机”。"),
    "confirmed": ("已启用", "启用后，该账号登录时须输入此身份验证器显示的动态验证码。"),
    "throttling_failure_timestamp": ("最近一次验证失败的时间", "最近一次验证成功后为空。"),
    "throttling_failure_count": ("连续验证失败次数", ""),
    "created_at": ("创建时间", ""),
    "last_used_at": ("最近使用时间", ""),
    "key": ("密钥", "十六进制编码的密钥，最长 40 字节。"),
    "step": ("时间步长（秒）", "每个动态验证码的有效时长。"),
    "t0": ("起始时间", "开始计算时间步的 Unix 时间戳。"),
    "digits": ("验证码位数", ""),
    "tolerance": ("容差（时间步）", "允许前后相差的时间步数。"),
    "drift": ("时钟偏差（时间步）", "身份验证器的时钟与服务器相差的时间步数。"),
    "last_t": ("最近验证的时间步", "下一个验证码必须属于更晚的时间步。"),
}
# Only the labels are set on the model's fields: a field's migration state reads the label it
# was declared with (_verbose_name), not this one, while its help text would read as a change
# to django-otp's table (makemigrations --check); help texts go on the form instead.
for _name, (_label, _help) in AUTHENTICATOR_FIELDS.items():
    TOTPDevice._meta.get_field(_name).verbose_name = _label
# Shown read-only, with help texts of their own (a read-only field shows the model's).
READ_ONLY_TIMES = {"created_at": "created", "last_used_at": "last_used"}


@admin.register(TOTPDevice)
class AuthenticatorAdmin(BoundedChangeListMixin, TOTPDeviceAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "enabled")
    list_filter = ("confirmed",)  # staff have one device each; dates add nothing to filter by
    # The library's search help text is English ("Search by …").
    search_help_text = "按用户名或电子邮箱搜索"
    FIELDSET_NAMES = {
        "Identity": "身份",
        "Timestamps": "时间",
        "Configuration": "设置",
        "State": "状态",
        "Throttling": "防暴力破解",
    }

    readonly_fields = [*READ_ONLY_TIMES.values(), "qrcode_link"]

    def get_fieldsets(self, request, obj=None):
        return [
            (
                self.FIELDSET_NAMES.get(name, name),
                {
                    **options,
                    "fields": [READ_ONLY_TIMES.get(f, f) for f in options["fields"]],
                },
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, field in form.base_fields.items():
            if name in AUTHENTICATOR_FIELDS:
                field.help_text = AUTHENTICATOR_FIELDS[name][1]
        return form

    @admin.display(description="创建时间")
    def created(self, device):
        return self._time(device, "created_at")

    @admin.display(description="最近使用时间")
    def last_used(self, device):
        return self._time(device, "last_used_at")

    def _time(self, device, name):
        # As the admin shows the field itself: a local time, or its mark for "none".
        field = TOTPDevice._meta.get_field(name)
        return display_for_field(getattr(device, name), field, self.get_empty_value_display())

    @admin.display(description="已启用", ordering="confirmed")
    def enabled(self, device):
        return yes_no(device.confirmed)
