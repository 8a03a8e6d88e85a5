from django.contrib import admin
from django.db.models import Q

from apps.accounts.access import Audience
from apps.articles.models import Article, Correction
from apps.issues.models import Issue
from apps.workflow import signing, steps
from apps.workflow.admin.base import WorkflowAdmin, report_each, rich_text_display
from apps.workflow.admin.corrections import ProposedCorrectionsMixin
from apps.workflow.forms import ArticleForm, CorrectionForm
from apps.workflow.roles import is_reviewer


@admin.register(Article)
class ArticleAdmin(ProposedCorrectionsMixin, WorkflowAdmin):
    list_display = ("title", "issue", "section", "position", "status", "visibility", "updated_at")
    list_filter = ("status", "section", "issue", "industries", "visibility")
    list_select_related = ("issue", "section")
    search_fields = ("title", "summary", "source")
    autocomplete_fields = ("issue", "industries")
    date_hierarchy = "created_at"
    form = ArticleForm
    actions = ("submit_selected", "approve_selected")
    fieldsets = (
        (None, {"fields": ("title", "subtitle", "source", "author", "edit_version")}),
        ("编排", {"fields": ("issue", "section", "position", "industries", "visibility")}),
        ("内容", {"fields": ("summary", "body")}),
        (
            "状态",
            {"fields": ("status", "created_by", "created_at", "updated_by", "updated_at")},
        ),
    )
    readonly_fields = ("created_by", "created_at", "updated_by", "updated_at")
    rich_text_fields = ("body",)
    body_rendered = rich_text_display("body", "正文")
    preview_template = "articles/article_detail.html"

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        # Signed content changes only through a proposed correction that is signed in turn:
        # a published (or scheduled) article whose correction needs 签发 is read-only here.
        if allowed and obj is not None and obj.status == Article.Status.PUBLISHED:
            return not signing.correction_needs_sign_off(obj)
        return allowed

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if article is not None:
            context["corrections"] = self.corrections_panel(request, article)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._corrects(request, obj):
            return [("更正", {"fields": ("correction_note",)}), *fieldsets]
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if self._corrects(request, obj):
            kwargs["form"] = CorrectionForm
        form = super().get_form(request, obj, **kwargs)
        if "issue" in form.base_fields and not is_reviewer(request.user, Article):
            # Editors put their articles into issues still being drafted, not into one that a
            # reviewer is checking or has published (it would block or change it).
            current = obj.issue_id if obj is not None else None
            form.base_fields["issue"].queryset = Issue.objects.filter(
                Q(status=Issue.Status.DRAFT) | Q(pk=current)
            )
        return form

    def save_model(self, request, obj, form, change):
        note = form.cleaned_data.get("correction_note")
        if change and note:
            obj._change_reason = f"更正：{note}"  # History's 说明
        super().save_model(request, obj, form, change)
        if change and note:
            Correction.objects.create(article=obj, note=note, by=request.user)

    # --- bulk steps on the list: each article through its own step, one refusal blocks none ---

    @admin.action(description="提交审核所选文章")
    def submit_selected(self, request, queryset):
        outcome = steps.take_each(steps.submit_article, queryset, by=request.user)
        report_each(self, request, outcome, steps.ARTICLE_SUBMIT.label)

    @admin.action(description="审核通过所选文章", permissions=["review"])
    def approve_selected(self, request, queryset):
        outcome = steps.take_each(steps.approve_article, queryset, by=request.user)
        report_each(self, request, outcome, steps.ARTICLE_APPROVE.label)

    def has_review_permission(self, request):
        return is_reviewer(request.user, Article)

    def _corrects(self, request, obj):
        """Whether saving `obj` is a correction: readers have had it (its issue went live,
        even if withdrawn since; a scheduled issue's articles are not out yet) and this user
        may change it. The row is asked, since a restore form shows an old version."""
        return (
            obj is not None
            and Article.objects.filter(pk=obj.pk, issue__went_live_at__isnull=False).exists()
            and self.has_change_permission(request, obj)
        )

    def preview_context(self, request, article, audience):
        hidden = audience == Audience.ALL and article.is_leadership_only
        return {"article": article, "hidden_from_audience": hidden}
