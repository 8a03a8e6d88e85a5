"""Subscribers in and out of Excel and CSV (django-import-export), with Chinese column names.

A row names the user (username, name, mobile, e-mail) and the subscription. Every value is
checked here with a message in Chinese; the import runs in one transaction and is rolled back
when any row is invalid, so a file with one bad row imports nothing.

The account columns pass the user model's own field rules (its validators and lengths, as the
admin's forms apply them), whoever calls the import.

An import never creates or changes a staff or superuser account, and changes the e-mail or
mobile of an existing account (with which one signs in and resets the password) only when the
person importing confirmed exactly that (`identity_changes_confirmed`).

For an existing subscriber a blank cell leaves the field as it is; clearing a field takes the
cell text CLEAR. A row that would end or shorten a current subscription, change the kind or
turn the e-mail off is imported only when the person importing confirmed those changes too
(`risky_changes_confirmed`); the dry run lists them, row by row.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from import_export import resources
from import_export.fields import Field
from import_export.resources import Diff

from apps.articles.models import Industry
from apps.core.spreadsheets import neutralised, restore
from apps.subscribers.models import WECOM_USERID_TAKEN, Subscriber, wecom_userid_validator

COLUMNS = {
    "username": "用户名",
    "full_name": "姓名",
    "mobile": "手机号码",
    "email": "电子邮箱",
    "kind": "订户类型",
    "organization": "单位",
    "position": "职务",
    "region": "所属地区",
    "phone": "办公电话",
    "industries": "关注产业",
    "valid_from": "订阅开始日期",
    "valid_until": "订阅截止日期",
    "notify_by_email": "邮件通知",
    "wecom_userid": "企业微信账号",
    "notes": "备注",
}
REQUIRED = ["username", "full_name", "kind", "organization", "region", "valid_until"]
KINDS = {label: value for value, label in Subscriber.Kind.choices}
REGIONS = {label: value for value, label in Subscriber.Region.choices}
YES = {"是", "yes", "y", "1", "true"}
NO = {"否", "no", "n", "0", "false"}
SEPARATORS = re.compile(r"[、,，;；\s]+")
# The account columns and the user model's fields they set.
ACCOUNT_FIELDS = {
    "username": "username",
    "full_name": "last_name",
    "mobile": "mobile",
    "email": "email",
}
# Our wording of a value the model refuses, naming the value; Django's Chinese for the username
# says "英文字母" only, although its validator takes Chinese characters too.
INVALID_ACCOUNT_VALUE = {
    "username": "用户名“{value}”无效：只能包含字母（含汉字）、数字和 @ . + - _，不能有空格。",
    "mobile": "手机号码“{value}”格式不正确，应为 11 位数字。",
    "email": "电子邮箱“{value}”格式不正确。",
}
# The columns with which one signs in (and asks for a new password), as the preview names them.
LOGIN_NAMES = {"email": "登录邮箱", "mobile": "登录手机号"}
# The WeCom id signs one in too (a tap in WeCom, apps.push.wecom_login): changing it on an
# existing subscriber is confirmed like the e-mail and mobile.
WECOM_LOGIN_NAME = "企业微信账号"
CONFIRM_IDENTITY_CHANGES = "我确认更改以上账号的登录邮箱/手机号"
CONFIRM_RISKY_CHANGES = "我确认以上订户的订阅期、订户类型和邮件通知的更改"
# The cell text that clears a field (a blank cell leaves it as it is); the ASCII brackets too,
# as people type them.
CLEAR = "（清空）"
CLEAR_MARKERS = {CLEAR, "(清空)"}
# The columns an existing subscriber may have empty; the others are required.
CLEARABLE = ["mobile", "email", "position", "phone", "industries", "wecom_userid", "notes"]


class RowErrors(dict):
    """Errors of one row, keyed by the Chinese column name the user sees."""

    def add(self, key, message):
        self.setdefault(COLUMNS[key], []).append(message)


def _text(row, key):
    value = row.get(COLUMNS[key])
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800000000 as a number
    # An exported file comes back with the quote that kept "-" or "+86…" from being a formula.
    return restore(str(value).strip())


def _date(value, key, errors):
    """The calendar date of a cell (an Excel date or a text date), or None if it is empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    errors.add(key, f"日期“{text}”无法识别，请写成 2025-01-31 这样的格式。")
    return None


class ExportedValuesDiff(Diff):
    """The import preview shows the values as the export writes them (our columns are computed)."""

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.left = self._exported(resource, instance)

    def compare_with(self, resource, instance):
        self.right = self._exported(resource, instance)

    @staticmethod
    def _exported(resource, instance):
        return [resource.export_field(field, instance) for field in resource.get_import_fields()]

    def as_html(self):
        """Each cell as it will be; a changed cell of an existing subscriber as old → new.

        Not the library's character diff, which shows two dates run together character by
        character ("2026-14-01-071").
        """
        if self.new:
            return [format_html("{}", value) for value in self.right]
        return [
            format_html("{}", new)
            if old == new
            else format_html(
                '<span class="import-change"><del>{}</del> → <ins>{}</ins></span>',
                old or "（空）",
                new or "（空）",
            )
            for old, new in zip(self.left, self.right, strict=True)
        ]


@dataclass(frozen=True)
class IdentityChange:
    """A row would change the e-mail or mobile an existing account signs in with."""

    account: str
    field: str
    old: str
    new: str

    def __str__(self):
        name = WECOM_LOGIN_NAME if self.field == "wecom_userid" else LOGIN_NAMES[self.field]
        return f"账号{self.account}的{name}：{self.old or '（空）'} → {self.new or '（空）'}"


@dataclass(frozen=True)
class RiskyChange:
    """A row would end or shorten a subscription, change its kind or turn its e-mail off."""

    account: str
    key: str
    old: str
    new: str
    note: str = ""

    def __str__(self):
        return f"账号{self.account}的{COLUMNS[self.key]}：{self.old} → {self.new}{self.note}"


def _account(subscriber):
    """The subscriber's user, also for a row being imported whose user is not saved yet."""
    if subscriber.user_id:
        return subscriber.user
    return getattr(subscriber, "_user", None) or get_user_model()()


class SubscriberResource(resources.ModelResource):
    username = Field(column_name=COLUMNS["username"])
    full_name = Field(column_name=COLUMNS["full_name"])
    mobile = Field(column_name=COLUMNS["mobile"])
    email = Field(column_name=COLUMNS["email"])
    kind = Field(column_name=COLUMNS["kind"])
    organization = Field(column_name=COLUMNS["organization"])
    position = Field(column_name=COLUMNS["position"])
    region = Field(column_name=COLUMNS["region"])
    phone = Field(column_name=COLUMNS["phone"])
    industries = Field(column_name=COLUMNS["industries"])
    valid_from = Field(column_name=COLUMNS["valid_from"])
    valid_until = Field(column_name=COLUMNS["valid_until"])
    notify_by_email = Field(column_name=COLUMNS["notify_by_email"])
    wecom_userid = Field(column_name=COLUMNS["wecom_userid"])
    notes = Field(column_name=COLUMNS["notes"])

    class Meta:
        model = Subscriber
        fields = tuple(COLUMNS)
        import_id_fields = ()
        skip_unchanged = False

    def __init__(self, *, subscribers=None, **kwargs):
        super().__init__(**kwargs)
        # The admin passes the subscribers the importing user may change there; a row names
        # an existing subscriber only among them (any other existing username is refused).
        self.subscribers = Subscriber.objects.all() if subscribers is None else subscribers

    # --- export ---

    def get_diff_class(self):
        return ExportedValuesDiff

    def get_queryset(self):
        return Subscriber.objects.select_related("user").prefetch_related("industries")

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # Every exported row passes here (the import preview reads export_field and shows the
        # values as they are): nothing a subscriber's details begin with can run as a formula.
        return neutralised(super().export_resource(instance, selected_fields, **kwargs))

    def dehydrate_username(self, subscriber):
        return _account(subscriber).username

    def dehydrate_full_name(self, subscriber):
        return _account(subscriber).get_full_name()

    def dehydrate_mobile(self, subscriber):
        return _account(subscriber).mobile

    def dehydrate_email(self, subscriber):
        return _account(subscriber).email

    def dehydrate_kind(self, subscriber):
        return subscriber.get_kind_display() if subscriber.kind else ""

    def dehydrate_organization(self, subscriber):
        return subscriber.organization

    def dehydrate_position(self, subscriber):
        return subscriber.position

    def dehydrate_region(self, subscriber):
        return subscriber.get_region_display() if subscriber.region else ""

    def dehydrate_phone(self, subscriber):
        return subscriber.phone

    def dehydrate_industries(self, subscriber):
        if subscriber.pk is None:
            return ""
        return "、".join(industry.name for industry in subscriber.industries.all())

    def dehydrate_valid_from(self, subscriber):
        return subscriber.valid_from.isoformat() if subscriber.valid_from else ""

    def dehydrate_valid_until(self, subscriber):
        return subscriber.valid_until.isoformat() if subscriber.valid_until else ""

    def dehydrate_notify_by_email(self, subscriber):
        return "是" if subscriber.notify_by_email else "否"

    def dehydrate_wecom_userid(self, subscriber):
        return subscriber.wecom_userid

    def dehydrate_notes(self, subscriber):
        return subscriber.notes

    # --- import ---

    def import_data(
        self,
        dataset,
        dry_run=False,
        *,
        identity_changes_confirmed=False,
        risky_changes_confirmed=False,
        **kwargs,
    ):
        """Import `dataset` all or nothing, listing the changes that need confirming."""
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        # A row that changes the e-mail or mobile of an existing account, or ends, shortens,
        # re-kinds or silences a subscription, is an error in a real run unless the person
        # importing confirmed that kind of change; a preview writes nothing and lists them.
        self._refuse_identity_changes = not dry_run and not identity_changes_confirmed
        self._refuse_risky_changes = not dry_run and not risky_changes_confirmed
        self._identity_changes, self._risky_changes, self._refused_rows = [], [], 0
        result = super().import_data(dataset, dry_run=dry_run, **kwargs)
        result.identity_changes = self._identity_changes
        result.risky_changes = self._risky_changes
        # The import failed for that reason alone: confirming it would import the file.
        result.unconfirmed_changes_refused = (
            self._refused_rows > 0
            and not result.has_errors()
            and self._refused_rows == len(result.invalid_rows)
        )
        return result

    def before_import(self, dataset, **kwargs):
        # Set before the check: the library goes on to the rows after a refused file, and each
        # row is then refused with its own message instead of failing on a missing attribute.
        self._seen = {"username": set(), "mobile": set(), "email": set(), "wecom_userid": set()}
        self._row_flags = []
        self._industries = {industry.name: industry for industry in Industry.objects.all()}
        missing = [
            name for name in (COLUMNS[key] for key in REQUIRED) if name not in dataset.headers
        ]
        if missing:
            raise ValidationError(f"文件缺少以下列：{'、'.join(missing)}。请使用下载的模板。")

    def get_instance(self, instance_loader, row):
        username = _text(row, "username")
        return self.subscribers.select_related("user").filter(user__username=username).first()

    def init_instance(self, row=None):
        return Subscriber()

    def _values(self, subscriber, row, errors):
        """The row's value for each column: what it says, or what the subscriber has.

        For an existing subscriber a blank cell means "as it is" (a file with only the
        columns one means to change must not erase the others); CLEAR clears a field.
        """
        current = (
            {key: getattr(self, f"dehydrate_{key}")(subscriber) for key in COLUMNS}
            if subscriber.pk
            else {}
        )
        values = {}
        for key, column in COLUMNS.items():
            cell, text = row.get(column), _text(row, key)
            if isinstance(cell, date):
                values[key] = cell  # an Excel date, read as a date
            elif text in CLEAR_MARKERS:
                if key not in CLEARABLE:
                    errors.add(
                        key,
                        f"此列不能清空，请填写内容或留空（留空表示不修改）；“{CLEAR}”"
                        "只能用于：" + "、".join(COLUMNS[k] for k in CLEARABLE) + "。",
                    )
                values[key] = ""
            elif not text:
                values[key] = current.get(key, "")
            else:
                values[key] = text
        return values

    def import_instance(self, subscriber, row, **kwargs):
        errors = RowErrors()
        self._row_flags = []
        values = self._values(subscriber, row, errors)
        for key in REQUIRED:
            if not values[key] and COLUMNS[key] not in errors:
                errors.add(key, "必填。")
        self._check_account(values, errors)
        user = self._user_for(subscriber, values, errors)
        kind = KINDS.get(values["kind"])
        if values["kind"] and kind is None:
            errors.add("kind", f"“{values['kind']}”不是有效的订户类型，应为：{'、'.join(KINDS)}。")
        region = REGIONS.get(values["region"])
        if values["region"] and region is None:
            errors.add(
                "region", f"“{values['region']}”不是有效的地区，应为：{'、'.join(REGIONS)}。"
            )
        industries = self._industries_named(values["industries"], errors)
        valid_from = _date(values["valid_from"], "valid_from", errors)
        valid_until = _date(values["valid_until"], "valid_until", errors)
        if valid_from and valid_until and valid_until < valid_from:
            errors.add("valid_until", "订阅截止日期不能早于开始日期。")
        notify = values["notify_by_email"].lower()
        if notify and notify not in YES | NO:
            errors.add("notify_by_email", "请填写“是”或“否”。")
        self._check_wecom_userid(subscriber, values["wecom_userid"], errors)
        if errors:
            raise ValidationError(errors)
        self._check_confirmations(
            user,
            subscriber,
            values,
            kind=kind,
            valid_from=valid_from or subscriber.valid_from,
            valid_until=valid_until,
            notify=notify not in NO,
        )

        if values["full_name"] != user.get_full_name():
            user.last_name, user.first_name = values["full_name"], ""
        user.mobile = values["mobile"]
        user.email = values["email"]
        subscriber.kind = kind
        subscriber.region = region
        subscriber.organization = values["organization"][:100]
        subscriber.position = values["position"][:100]
        subscriber.phone = values["phone"][:30]
        subscriber.notes = values["notes"]
        if valid_from:
            subscriber.valid_from = valid_from
        subscriber.valid_until = valid_until
        subscriber.notify_by_email = notify not in NO
        subscriber.wecom_userid = values["wecom_userid"]
        subscriber._user = user
        subscriber._industries = industries

    @staticmethod
    def _check_account(values, errors):
        """Refuse account values the user model refuses: its field validators and lengths."""
        user_model = get_user_model()
        # An empty cell is the required columns' check (必填) or means "none".
        given = {field: values[key] for key, field in ACCOUNT_FIELDS.items() if values[key]}
        others = [field.name for field in user_model._meta.fields if field.name not in given]
        try:
            # A new instance, so that the row's values do not touch the account before the
            # identity check compares them with it.
            user_model(**given).clean_fields(exclude=others)
        except ValidationError as refusal:
            for key, field in ACCOUNT_FIELDS.items():
                for error in refusal.error_dict.get(field, []):
                    if error.code == "max_length":
                        limit, length = error.params["limit_value"], error.params["show_value"]
                        message = f"不能超过 {limit} 个字符（现有 {length} 个）。"
                    elif error.code == "invalid" and key in INVALID_ACCOUNT_VALUE:
                        message = INVALID_ACCOUNT_VALUE[key].format(value=values[key])
                    else:
                        message = error.messages[0]
                    errors.add(key, message)

    def _user_for(self, subscriber, values, errors):
        user_model = get_user_model()
        username = values["username"]
        if subscriber.pk:
            user = existing = subscriber.user
        else:
            existing = user_model.objects.filter(username=username).first() if username else None
            user = user_model(username=username) if username else None
        # Whoever imports, a superuser too: an import changes accounts in bulk, without the
        # user admin's form, and a new e-mail or mobile is a way into the account through
        # the password reset. A staff or superuser account (which may also subscribe) is
        # changed one by one in the user admin, never by a file.
        if existing is not None and (existing.is_staff or existing.is_superuser):
            errors.add(
                "username",
                f"该用户名已被其他账号使用：“{username}”是工作人员或超级管理员的账号，"
                "导入不能创建或修改这类账号。",
            )
            return None
        if existing is not None and not subscriber.pk:
            errors.add("username", "该用户名已被其他账号使用。")
        # One signs in with a username, e-mail or mobile, and a username wins
        # (apps.accounts.backends): a new username that is another account's e-mail or mobile
        # (a staff member's too) would take that account's sign-in.
        if (
            username
            and not subscriber.pk
            and user_model.objects.filter(Q(email__iexact=username) | Q(mobile=username)).exists()
        ):
            errors.add("username", "该用户名是其他账号的电子邮箱或手机号码，不能用作用户名。")
        if username in self._seen["username"]:
            errors.add("username", "文件中有重复的用户名。")
        self._seen["username"].add(username)
        if user is None:
            return None
        self._check_unique_contact(user, "mobile", values["mobile"], errors)
        self._check_unique_contact(user, "email", values["email"], errors)
        return user

    def _check_confirmations(self, user, subscriber, values, **new):
        """Record the changes of an existing subscriber that need confirming; refuse the
        unconfirmed ones in a real run."""
        if user.pk is None or subscriber.pk is None:
            return
        identity = [
            IdentityChange(str(user), key, getattr(user, key), values[key])
            for key in LOGIN_NAMES
            if getattr(user, key) != values[key]
        ]
        if subscriber.wecom_userid != values["wecom_userid"]:
            identity.append(
                IdentityChange(
                    str(user), "wecom_userid", subscriber.wecom_userid, values["wecom_userid"]
                )
            )
        risky = self._risky_changes_of(str(user), subscriber, **new)
        self._identity_changes.extend(identity)
        self._risky_changes.extend(risky)
        self._row_flags = [*identity, *risky]
        errors = RowErrors()
        if self._refuse_identity_changes:
            for change in identity:
                errors.add(
                    change.field,
                    f"此行将更改{change}；确认导入时未勾选“{CONFIRM_IDENTITY_CHANGES}”，"
                    "所以没有导入任何数据。",
                )
        if self._refuse_risky_changes:
            for change in risky:
                errors.add(
                    change.key,
                    f"此行将更改{change}；确认导入时未勾选“{CONFIRM_RISKY_CHANGES}”，"
                    "所以没有导入任何数据。",
                )
        if errors:
            self._refused_rows += 1
            raise ValidationError(errors)

    @staticmethod
    def _risky_changes_of(account, subscriber, *, kind, valid_from, valid_until, notify):
        """What a row would do to a subscriber that could cut a reader off without a word."""
        today = timezone.localdate()
        changes = []
        if subscriber.valid_until >= today and valid_until < subscriber.valid_until:
            ends = "（订阅将立即结束）" if valid_until < today else "（订阅期缩短）"
            changes.append(
                RiskyChange(
                    account,
                    "valid_until",
                    subscriber.valid_until.isoformat(),
                    valid_until.isoformat(),
                    ends,
                )
            )
        if subscriber.is_current(today) and valid_from > today:
            changes.append(
                RiskyChange(
                    account,
                    "valid_from",
                    subscriber.valid_from.isoformat(),
                    valid_from.isoformat(),
                    "（在此之前不能阅读）",
                )
            )
        if kind != subscriber.kind:
            changes.append(
                RiskyChange(
                    account,
                    "kind",
                    subscriber.get_kind_display(),
                    Subscriber.Kind(kind).label,
                )
            )
        if subscriber.notify_by_email and not notify:
            changes.append(RiskyChange(account, "notify_by_email", "是", "否"))
        return changes

    def after_import_row(self, row, row_result, **kwargs):
        # The dry run's table numbers each row as the file does and marks it with the changes
        # that need confirming.
        row_result.number = kwargs.get("row_number")
        row_result.flags = self._row_flags

    def _check_unique_contact(self, user, key, value, errors):
        # A value already refused (_check_account) is not looked for among the accounts.
        if not value or COLUMNS[key] in errors:
            return
        lookup = {"email__iexact": value} if key == "email" else {"mobile": value}
        # Nor another account's username: signing in with it would open that account.
        others = get_user_model().objects.exclude(pk=user.pk)
        taken = others.filter(Q(**lookup) | Q(username__iexact=value)).exists()
        normalized = value.lower()
        if taken or normalized in self._seen[key]:
            label = "手机号码" if key == "mobile" else "电子邮箱"
            errors.add(key, f"{label}“{value}”已被其他订户使用。")
        self._seen[key].add(normalized)

    def _check_wecom_userid(self, subscriber, value, errors):
        """The WeCom id: WeCom's shape, and no other subscriber's (case ignored, as WeCom
        does), in the database or earlier in the file."""
        if not value:
            return
        try:
            wecom_userid_validator(value)
        except ValidationError as refusal:
            errors.add("wecom_userid", f"“{value}”：{refusal.messages[0]}")
            return
        if value.lower() in self._seen["wecom_userid"]:
            errors.add("wecom_userid", f"文件中有重复的企业微信账号“{value}”。")
        else:
            holder = Subscriber.bound_to_wecom(value)
            if holder is not None and holder.pk != subscriber.pk:
                errors.add("wecom_userid", f"企业微信账号“{value}”：{WECOM_USERID_TAKEN}")
        self._seen["wecom_userid"].add(value.lower())

    def _industries_named(self, text, errors):
        names = [name for name in SEPARATORS.split(text) if name]
        unknown = [name for name in names if name not in self._industries]
        if unknown:
            errors.add(
                "industries",
                f"未知的产业：{'、'.join(unknown)}。可选：{'、'.join(self._industries)}。",
            )
        return [self._industries[name] for name in names if name in self._industries]

    def before_save_instance(self, subscriber, row, **kwargs):
        user = subscriber._user
        if user.pk is None:
            user.set_unusable_password()  # an invitation lets them choose one
        user.save()
        subscriber.user = user

    def after_save_instance(self, subscriber, row, **kwargs):
        subscriber.industries.set(subscriber._industries)
