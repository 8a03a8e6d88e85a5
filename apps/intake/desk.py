"""The desk's own pages and steps beside the clipping list: 加入本期, 添加链接, and triage.

The views take the ClippingAdmin they serve (its object lookup, its messages, its context);
apps.intake.admin routes them. Writes go through named functions: `adopting.adopt` for an
article, `ingest.clip_link` for a link, `triage` for a state.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.articles.models import Section
from apps.intake import adopting
from apps.intake.models import Clipping
from apps.issues.models import Issue

# The states an editor sets by hand; 已采用 is set only by adopting.adopt.
TRIAGE_LABELS = {
    Clipping.State.STARRED: "收藏",
    Clipping.State.IGNORED: "忽略",
    Clipping.State.NEW: "恢复为新",
}


def triage(leads: QuerySet, state: str) -> int:
    """Give every clipping of the stories of `leads` (and `leads` themselves) `state`; return
    how many changed. A clipping made into an article stays 已采用."""
    if state not in TRIAGE_LABELS:
        raise ValueError(state)
    stories = leads.filter(story__isnull=False).order_by().values("story")
    clippings = Clipping.objects.filter(
        Q(story__in=stories) | Q(pk__in=leads.order_by().values("pk"))
    )
    return clippings.exclude(state__in=[state, Clipping.State.USED]).update(state=state)


# --- 加入本期 ---------------------------------------------------------------------------------


class AdoptForm(forms.Form):
    issue = forms.ModelChoiceField(
        label="加入期次",
        queryset=Issue.objects.none(),
        empty_label=None,
        error_messages={
            "required": "请选择要加入的期次。",
            "invalid_choice": "所选期次不存在或已不是草稿，请重新选择。",
        },
    )
    section = forms.ModelChoiceField(
        label="栏目",
        queryset=Section.objects.all(),
        empty_label="请选择栏目",
        error_messages={
            "required": "请选择栏目。",
            "invalid_choice": "所选栏目不存在，请重新选择。",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        issues = adopting.draft_issues(user)
        self.fields["issue"].queryset = issues
        self.fields["issue"].help_text = "只列出仍在草稿状态的期次。"
        if not self.is_bound:
            self.fields["issue"].initial = issues.first()


def adopt_view(model_admin, request, object_id):
    """Choose a draft issue and a section, confirm once; a story already used asks again."""
    clipping = model_admin.get_object(request, object_id)
    if clipping is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not adopting.may_adopt(request.user):
        raise PermissionDenied
    change_url = reverse("admin:intake_clipping_change", args=[clipping.pk])
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    posted = request.method == "POST"
    form = AdoptForm(request.POST if posted else None, user=request.user)
    question = None
    if posted and form.is_valid():
        try:
            article = adopting.adopt(
                clipping,
                issue=form.cleaned_data["issue"],
                section=form.cleaned_data["section"],
                user=request.user,
                again=request.POST.get("again") == "1",
            )
        except adopting.StoryAlreadyUsed as asked:
            question = asked
        except adopting.AdoptRefused as refusal:
            model_admin.message_user(request, str(refusal), messages.ERROR)
        else:
            text = f"已把素材加入{article.issue}「{article.section}」，生成草稿文章《{article}》。"
            if article.dropped_images:
                text += f"正文中有 {article.dropped_images} 张图片无法获取或识别，已略去。"
            model_admin.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": clipping,
        "title": f"加入本期：{clipping}",
        "form": form,
        "question": question,
        "used": adopting.story_articles(clipping),
        "refusal": _refusal(clipping),
        "no_issues": not form.fields["issue"].queryset.exists(),
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/intake/clipping/adopt.html", context)


def _refusal(clipping) -> str:
    """Why this clipping cannot be added at all (the page then offers no button), or ''."""
    if clipping.article_id:
        return "这条素材已加入为文章，不能重复加入。"
    if clipping.state == Clipping.State.IGNORED:
        return "这条素材已被忽略；如需采用，请先恢复为新。"
    return ""


# --- 添加链接 ---------------------------------------------------------------------------------


class AddLinkForm(forms.Form):
    url = forms.URLField(
        label="文章链接",
        max_length=Clipping._meta.get_field("url").max_length,
        assume_scheme="https",
        error_messages={"required": "请填写要添加的文章链接。"},
        widget=forms.URLInput(attrs={"size": 80, "autofocus": True}),
        help_text="粘贴一篇文章的网址，系统会抓取正文、去重、标注产业并生成摘要草稿。",
    )


def add_link_view(model_admin, request):
    """One address clipped now, through the same safe fetch as the sources."""
    # Imported here: the pipeline (scikit-learn, trafilatura, the tagger) would otherwise be
    # loaded by every web process, reader pages included, for this one page.
    from apps.intake import ingest

    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = AddLinkForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            clipping = ingest.clip_link(form.cleaned_data["url"])
        except ingest.IntakeError as error:
            form.add_error("url", str(error))
        else:
            model_admin.message_user(request, f"已添加素材《{clipping}》。", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:intake_clipping_change", args=[clipping.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "添加链接",
        "crumb": "添加链接",
        "submit_label": "抓取并添加",
        "form": form,
    }
    return TemplateResponse(request, "admin/intake/form_page.html", context)


# --- A clipping's state, from its page ------------------------------------------------------------


def state_view(model_admin, request, object_id):
    """收藏, 忽略 or 恢复为新 from a clipping's page: for its whole story, as on the list."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    clipping = model_admin.get_object(request, object_id)
    if clipping is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_change_permission(request, clipping):
        raise PermissionDenied
    state = request.POST.get("state", "")
    if state not in TRIAGE_LABELS:
        model_admin.message_user(request, "无法识别的操作。", messages.ERROR)
    else:
        changed = triage(Clipping.objects.filter(pk=clipping.pk), state)
        label = TRIAGE_LABELS[state]
        text = f"已{label}：{changed} 篇稿件。" if changed else f"没有需要{label}的稿件。"
        model_admin.message_user(request, text, messages.SUCCESS if changed else messages.INFO)
    return HttpResponseRedirect(reverse("admin:intake_clipping_change", args=[clipping.pk]))
