import functools
import itertools
from datetime import UTC

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from apps.accounts.access import Audience
from apps.core.admin import ReadOnlyAdminMixin
from apps.core.changelists import BoundedChangeListMixin
from apps.core.ids import parse_id
from apps.core.richtext import sanitize_html
from apps.workflow import steps
from apps.workflow.admin.comments import CommentsAdminMixin
from apps.workflow.forms import ConcurrentEditForm
from apps.workflow.history import compare_versions
from apps.workflow.models import TransitionLog
from apps.workflow.roles import is_reviewer, may_edit, visible_to_staff

# Whom a preview shows the item as (`?as=`), and how the banner names them.
PREVIEW_AUDIENCES = {Audience.LEADERSHIP: "领导", Audience.ALL: "企业及其他读者"}


def preview_audience(request):
    wanted = request.GET.get("as")
    return next((audience for audience in PREVIEW_AUDIENCES if audience == wanted), None)


# The suffix of the read-only display of a rich-text field (`body_rendered`).
RENDERED = "_rendered"


def rich_text_display(field_name, description):
    """The read-only display of a rich-text field: its sanitized HTML, rendered."""

    @admin.display(description=description)
    def display(self, obj):
        return mark_safe(sanitize_html(getattr(obj, field_name)))  # noqa: S308 - sanitized

    return display


class WorkflowAdmin(CommentsAdminMixin, BoundedChangeListMixin, SimpleHistoryAdmin):
    """Admin for a workflow model: state buttons, role-based editing, history, preview.

    Subclasses set `preview_template` and implement `preview_context(obj)`.
    """

    form = ConcurrentEditForm
    change_form_template = "admin/workflow/change_form.html"
    object_history_list_template = "admin/workflow/object_history_list.html"
    # Changed only by the editorial steps (apps.workflow.steps), never by a form.
    workflow_fields = ("status", "published_at")
    # Rich-text fields; each has a `<name>_rendered` display (rich_text_display).
    rich_text_fields = ()
    preview_template = None

    # --- who sees and edits what ---

    def get_queryset(self, request):
        return visible_to_staff(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == obj.Status.DRAFT)

    def get_actions(self, request):
        # Bulk deletion would skip the per-object rule above (only drafts may be deleted).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), *self.workflow_fields)
        if self._read_only(request, obj):
            fields = (*fields, *(f"{name}{RENDERED}" for name in self.rich_text_fields))
        return fields

    def get_fieldsets(self, request, obj=None):
        """Where the user may only read, rich text shows as the page it is, not its source."""
        fieldsets = super().get_fieldsets(request, obj)
        if not self._read_only(request, obj):
            return fieldsets
        shown = {name: f"{name}{RENDERED}" for name in self.rich_text_fields}
        return [
            (name, {**options, "fields": [shown.get(f, f) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    def _read_only(self, request, obj):
        return obj is not None and not self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        else:
            # Only what the form shows may change. This matters for restoring an old version:
            # its state, numbers and version counter stay those of the current row.
            current = type(obj)._default_manager.get(pk=obj.pk)
            for field in obj._meta.concrete_fields:
                if field.name not in form.cleaned_data and not field.primary_key:
                    setattr(obj, field.attname, getattr(current, field.attname))
        obj.updated_by = request.user
        # History's 说明: which version a restore brought back, and a correction's note.
        restored = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        reasons = [getattr(obj, "_change_reason", None)]
        if change and restored is not None:
            reasons.insert(0, f"恢复到第{version_number(restored)}版")
        reason = "；".join(filter(None, reasons))
        if reason:
            obj._change_reason = reason[: steps.HISTORY_REASON_LENGTH]
        super().save_model(request, obj, form, change)

    def set_history_delta_changes(self, request, historical_records, **kwargs):
        super().set_history_delta_changes(request, historical_records, **kwargs)
        # Newest first: each record's predecessor is the next one, for the compare link.
        for newer, older in itertools.pairwise(historical_records):
            newer.previous_version_id = older.pk
        # 第N版, counted from the first save, as a restore's 说明 names it (version_number).
        newest = historical_records.paginator.count - historical_records.start_index() + 1
        for offset, record in enumerate(historical_records):
            record.version_number = newest - offset

    def history_view(self, request, object_id, extra_context=None):
        # simple-history looks the object up itself and, when get_queryset() does not return
        # it, shows the newest saved version instead: editors would read others' drafts. It
        # also hands a malformed id to the database. The list of versions needs what the
        # change page needs: the object, among those this user sees in the back office.
        if self.get_object(request, unquote(object_id)) is None:
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Viewing an old version needs the right to see the object now (editors do not see
        # others' drafts); restoring is editing it, so the rules of its current state apply.
        current = self.get_object(request, unquote(object_id))
        if current is None:
            raise PermissionDenied
        if request.method == "POST" and not self.has_change_permission(request, current):
            raise PermissionDenied
        if parse_id(version_id) is None:  # simple-history would hand it to the database
            raise Http404
        # As Django's change view does: the edit form locks the row while it compares
        # versions (ConcurrentEditForm), which PostgreSQL allows only inside a transaction.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        current = self.get_object(request, str(obj.pk)) if obj is not None else None
        return current is None or not self.has_change_permission(request, current)

    # --- the change form: transitions, log, preview ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            log = list(self.transition_log(obj))
            context.update(
                transitions=steps.available_transitions(obj, request.user),
                transition_log=log,
                # Why it came back, at the top where its author starts work again.
                returned=_returned(obj, log),
                status_label=obj.get_status_display(),
                preview_url=self.admin_url("preview", obj),
                preview_links=self.preview_links(obj),
                comment_panel=self.comment_panel(request, obj),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_view_on_site_url(self, obj=None):
        # Readers' pages exist only for what readers see; anything else opens the preview.
        if obj is None or steps.is_public(obj):
            return super().get_view_on_site_url(obj)
        return self.admin_url("preview", obj)

    def transition_log(self, obj):
        return TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model), object_id=obj.pk
        ).select_related("by")

    def admin_url(self, view, obj):
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])

    def post_only(self, view):
        """A step's address (`view(request, object_id, …)`) acts on POST only; a GET (a reload,
        a bookmark, a pasted link) is sent to the object's page with a message, not a 405."""

        @functools.wraps(view)
        def answer(request, object_id, *args, **kwargs):
            if request.method == "POST":
                return view(request, object_id, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["POST"])
            self.message_user(
                request, "此操作需在页面上点按钮执行，已为您打开对应页面。", messages.INFO
            )
            opts = self.model._meta
            change = f"admin:{opts.app_label}_{opts.model_name}_change"
            return HttpResponseRedirect(reverse(change, args=[object_id]))

        return answer

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                wrap(self.post_only(self.transition_view)),
                name=f"{prefix}_transition",
            ),
            path("<path:object_id>/preview/", wrap(self.preview_view), name=f"{prefix}_preview"),
            *self.comment_urls(),
            path(
                "<path:object_id>/history/compare/",
                wrap(self.compare_view),
                name=f"{prefix}_compare",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, name):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise PermissionDenied
        at = self._scheduled_time(request.POST.get("at", ""))
        # The confirmation page's own tick box (steps: `out_of_order`).
        out_of_order = request.POST.get("out_of_order") == "1"
        try:
            transition = steps.get_transition(self.model, name)
        except steps.TransitionNotAllowed as error:
            raise PermissionDenied(str(error)) from error
        # The question comes first when the step is open to this user; otherwise the step
        # itself answers (a repeated click is told it is done, anyone else is refused). A
        # step that asks only about the order of issues (修改定时) asks when that applies.
        if (
            request.POST.get("confirmed") != "1"
            and transition in steps.available_transitions(obj, request.user)
            and (transition.needs_confirmation or self.order_question(obj, transition, at))
        ):
            return self.confirmation_view(request, obj, transition, at)
        try:
            steps.perform(
                obj,
                name,
                by=request.user,
                comment=request.POST.get("comment"),
                at=at,
                out_of_order=out_of_order,
                seen=request.POST.get("fingerprint", ""),
            )
        except steps.TransitionNotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except steps.AlreadyDone as error:
            self.message_user(request, str(error), messages.INFO)
        except steps.TransitionRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            label = steps.get_transition(self.model, name).label
            self.message_user(request, f"已{label}：{obj}", messages.SUCCESS)
        return HttpResponseRedirect(self.admin_url("change", obj))

    def confirmation_view(self, request, obj, transition, at):
        """What the step will do, and a button to take it (the posted fields go along); or,
        when the step's own checks refuse it, why, and no button."""
        comment = request.POST.get("comment", "")
        refusal = ""
        try:
            # The question of order is this page's tick box, not a refusal.
            steps.check(
                obj,
                transition.name,
                by=request.user,
                comment=comment,
                at=at,
                out_of_order=True,
                seen=request.POST.get("fingerprint", ""),
            )
        except steps.TransitionNotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except steps.TransitionRefused as error:
            refusal = str(error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"确认{transition.label}",
            "transition": transition,
            "refusal": refusal,
            "summary": [] if refusal else self.transition_summary(obj, transition, at),
            "order": None if refusal else self.order_question(obj, transition, at),
            "out_of_order_label": steps.OUT_OF_ORDER_LABEL,
            "at": request.POST.get("at", ""),
            "comment": comment,
            # 签发 signs the content shown on the change form; the question keeps it so.
            "fingerprint": request.POST.get("fingerprint", ""),
            "change_url": self.admin_url("change", obj),
        }
        return TemplateResponse(request, "admin/workflow/confirm_transition.html", context)

    def transition_summary(self, obj, transition, at) -> list[str]:
        """Lines that tell what the step will do; subclasses say more."""
        return []

    def order_question(self, obj, transition, at) -> list[str]:
        """Lines that ask the confirmation page's tick box (`out_of_order`), or none."""
        return []

    @staticmethod
    def _scheduled_time(value):
        try:
            parsed = parse_datetime(value) if value else None
        except ValueError:  # well formed but impossible, e.g. month 13: treated as missing
            parsed = None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        try:
            # Stored in UTC: a time past 9999 or before year 1 there (9999-12-31 23:59 at
            # UTC-12) PostgreSQL would save but Python could never read back: missing too.
            parsed = parsed.astimezone(UTC) if parsed is not None else None
        except OverflowError:
            parsed = None
        return parsed

    def preview_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        audience = preview_audience(request)
        context = {
            "preview": True,
            "preview_audience": PREVIEW_AUDIENCES.get(audience, ""),
            "comment_preview": self.comment_preview(request, obj),
            **self.preview_context(request, obj, audience),
        }
        return render(request, self.preview_template, context)

    def preview_links(self, obj):
        """The change form's links to see the item as readers will."""
        url = self.admin_url("preview", obj)
        return [
            ("预览（领导）", f"{url}?as={Audience.LEADERSHIP}"),
            ("预览（企业读者）", f"{url}?as={Audience.ALL}"),
        ]

    def preview_context(self, request, obj, audience):
        """The template's context; `audience` is None (everything staff see), LEADERSHIP or
        ALL (without leadership-only articles)."""
        raise NotImplementedError

    def compare_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        # Version ids come from the query string: read strictly, or the database gets "abc".
        old_id, new_id = parse_id(request.GET.get("old")), parse_id(request.GET.get("new"))
        versions = obj.history.select_related("history_user")
        old = versions.filter(pk=old_id).first() if old_id else None
        new = versions.filter(pk=new_id).first() if new_id else None
        if old is None or new is None:  # malformed, or not a version of this object
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"比较版本：{obj}",
            "old": old,
            "new": new,
            "changes": compare_versions(old, new),
        }
        return TemplateResponse(request, "admin/workflow/compare.html", context)


class SubjectTypeFilter(admin.SimpleListFilter):
    """The kinds of object a step is taken on, by their Chinese names.

    The field's own filter would list every content type of the site (the libraries' tables
    too, under their English names), though a step is only ever about these.
    """

    title = "对象类型"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return [(model._meta.label_lower, model._meta.verbose_name) for model in steps.TRANSITIONS]

    def queryset(self, request, queryset):
        model = next(
            (model for model in steps.TRANSITIONS if model._meta.label_lower == self.value()), None
        )
        if model is None:
            return queryset
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))


@admin.register(TransitionLog)
class TransitionLogAdmin(BoundedChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "object_link",
        "transition_label",
        "from_label",
        "to_label",
        "by",
        "comment",
    )
    list_filter = (
        ("by", admin.RelatedOnlyFieldListFilter),
        SubjectTypeFilter,
        "at",
        "transition_label",
    )
    list_select_related = ("by", "content_type")
    search_fields = ("object_repr", "comment")
    date_hierarchy = "at"

    @admin.display(description="对象")
    def object_link(self, log):
        return log.object_repr

    @admin.display(description="原状态")
    def from_label(self, log):
        return log.from_label

    @admin.display(description="新状态")
    def to_label(self, log):
        return log.to_label

    def get_queryset(self, request):
        logs = super().get_queryset(request)
        user = request.user
        if all(is_reviewer(user, model) for model in steps.TRANSITIONS):
            return logs
        # Editors see the steps of their own issues and articles, not of others' drafts.
        own = Q(by=user)
        for model in steps.TRANSITIONS:
            own |= Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=model.objects.filter(created_by=user).values("pk"),
            )
        return logs.filter(own)


def version_number(record) -> int:
    """Return which saved version `record` is of its object, counting from 1."""
    versions = type(record)._default_manager.filter(id=record.id)
    return versions.filter(history_id__lte=record.history_id).count()


def report_each(model_admin, request, outcome, label):
    """Tell the user what one step taken on many articles did (steps.take_each): how many
    moved, and each refusal by name with its reason."""
    if outcome.done:
        names = "、".join(f"《{article}》" for article in outcome.done)
        model_admin.message_user(
            request, f"已{label} {len(outcome.done)} 篇文章：{names}", messages.SUCCESS
        )
    if outcome.refused:
        reasons = "；".join(f"《{article}》：{reason}" for article, reason in outcome.refused)
        model_admin.message_user(
            request, f"{len(outcome.refused)} 篇未能{label}：{reasons}", messages.WARNING
        )
    if not outcome.done and not outcome.refused:
        model_admin.message_user(request, f"没有可{label}的文章。", messages.INFO)


def _returned(obj, log):
    """The log row that returned `obj` to its author, while it is still the latest step."""
    latest = log[0] if log else None  # newest first
    if obj.status == obj.Status.DRAFT and latest and latest.transition == "send_back":
        return latest
    return None
