from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.articles.models import Article, Industry
from apps.core.changelists import BoundedChangeList, BoundedChangeListMixin
from apps.core.ids import parse_id
from apps.core.richtext import sanitize_html
from apps.intake import adopting, desk, desk_rows, pool_search
from apps.intake.models import Clipping, Source, WatchWord
from apps.search.query import clean_query, parse
from apps.search.snippets import highlighted, snippet

HEALTH_COLOURS = {
    Source.Health.OK: "#1a7f37",
    Source.Health.PAUSED: "#6e7781",
    Source.Health.FAILING: "#cf222e",
}
MACHINE_MADE = "自动生成"


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """The sources, for reviewers and superusers (the 审核 role's permissions)."""

    list_display = ("name", "kind", "state", "last_success_at", "next_fetch_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "url")
    filter_horizontal = ("industries",)
    # An address typed without a scheme is read as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "url", "kind", "link_selector", "industries", "active", "interval_minutes")

    @admin.display(description="状态")
    def state(self, source):
        health = source.health
        colour = HEALTH_COLOURS[health]
        if health != Source.Health.FAILING:
            return format_html('<strong style="color:{}">{}</strong>', colour, health.label)
        since = (
            timezone.localtime(source.failing_since).strftime("%Y-%m-%d %H:%M")
            if source.failing_since
            else "—"
        )
        return format_html(
            '<strong style="color:{}">{}</strong>：{}（自 {} 起，连续 {} 次）',
            colour,
            health.label,
            source.last_error,
            since,
            source.consecutive_failures,
        )


# --- The desk: 素材库 ----------------------------------------------------------------------------

# Counting stops here: the desk is read from the top, and counting 100,000 joined rows is not
# worth its time. A list that reaches it says so and asks for a filter.
DESK_COUNT_LIMIT = 1000
# A row names this many reprints' outlets, then "等".
REPRINTS_NAMED = 6
# What a row shows of the clippings of its story (the list never reads texts otherwise).
STORY_FIELDS = ("pk", "story_id", "title", "source_name", "published_at", "state", "article_id")


# What a clipping's page shows and nobody edits there: what the page said, and where it stands.
PAGE_FACTS = ("title", "original_link", "source_name", "author", "published_at", "fetched_at",
              "changed_at", "state_line")  # fmt: skip


class DeskPaginator(Paginator):
    """Counts up to DESK_COUNT_LIMIT rows (pages past it are not offered)."""

    @cached_property
    def count(self):
        return self.object_list.order_by()[:DESK_COUNT_LIMIT].count()


class DeskChangeList(BoundedChangeList):
    """The desk's list: one row per story (its lead), with what a row shows loaded at once."""

    def get_queryset(self, request, exclude_parameters=None):
        rows = super().get_queryset(request, exclude_parameters)
        # Searching shows an excerpt of the text around the words found; otherwise texts stay
        # in the database.
        heavy = ("html", "fingerprint", "image_urls") + (() if self.query else ("text",))
        return pool_search.story_leads(rows).defer(*heavy)

    def get_results(self, request):
        super().get_results(request)
        text, _ = clean_query(self.query)
        marks = parse(text).marks if text else []
        self.result_list = list(self.result_list)  # the page, loaded once here for the template
        desk_rows.load(self.result_list)
        for clipping in self.result_list:
            clipping.desk_marks = marks


class IndustryFilter(admin.SimpleListFilter):
    title = "产业"
    parameter_name = "industry"

    def lookups(self, request, model_admin):
        return [(str(industry.pk), industry.name) for industry in Industry.objects.all()]

    def queryset(self, request, queryset):
        pk = parse_id(self.value())
        return queryset.filter(industries=pk) if pk else queryset


class SourceFilter(admin.SimpleListFilter):
    """By source, as a drop-down list with a button: the desk reads from a few hundred sources,
    and a link per source (each with its own query string) made the list ten times slower."""

    title = "来源"
    parameter_name = "source__id__exact"  # the address Django's own source filter used
    template = "admin/intake/clipping/source_filter.html"

    def lookups(self, request, model_admin):
        return Source.objects.order_by("name").values_list("pk", "name")

    def queryset(self, request, queryset):
        pk = parse_id(self.value())
        return queryset.filter(source_id=pk) if pk else queryset

    def choices(self, changelist):
        chosen = str(parse_id(self.value()) or "")
        kept = {
            key: value
            for key, value in changelist.params.items()
            if key not in (self.parameter_name, PAGE_VAR)
        }
        yield {
            "name": self.parameter_name,
            "kept": [(k, v) for k, values in kept.items() for v in _as_list(values)],
            "options": format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (pk, " selected" if str(pk) == chosen else "", name)
                    for pk, name in self.lookup_choices
                ),
            ),
        }


def _as_list(value):
    return value if isinstance(value, list) else [value]


class WatchWordFilter(admin.SimpleListFilter):
    """Stories that mention a watch word (any of their clippings does)."""

    title = "监测词"
    parameter_name = "watch"
    ANY = "any"

    def lookups(self, request, model_admin):
        words = WatchWord.objects.filter(active=True).order_by("word")
        return [(self.ANY, "含任一监测词"), *((str(w.pk), w.word) for w in words)]

    def queryset(self, request, queryset):
        if self.value() == self.ANY:
            return queryset.filter(story__watched=True)
        pk = parse_id(self.value())
        if not pk:
            return queryset
        mentions = Clipping.watch_words.through.objects.filter(
            watchword_id=pk, clipping__story=OuterRef("story")
        )
        return queryset.filter(Exists(mentions))


class StateFilter(admin.SimpleListFilter):
    """By state; without a choice, what is not ignored (the desk's work)."""

    title = "状态"
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Clipping.State.choices, (self.ALL, "全部（含已忽略）")]

    def choices(self, changelist):
        first, *others = super().choices(changelist)
        yield {**first, "display": "未忽略的"}
        yield from others

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value in Clipping.State.values:
            return queryset.filter(state=value)
        return queryset.exclude(state=Clipping.State.IGNORED)


class ClippingForm(forms.ModelForm):
    """The summary draft and the industries; saving them is the editor's review."""

    confirm_summary = forms.BooleanField(
        label="确认摘要",
        required=False,
        help_text="摘要无需修改时勾选，保存后即不再标为「自动生成」。",
    )

    class Meta:
        model = Clipping
        fields = ("summary", "industries")
        widgets = {
            "industries": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 4, "cols": 80}),
        }


@admin.register(Clipping)
class ClippingAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    """The pool, for editors and reviewers: triage on the list, review and 加入本期 on a page."""

    form = ClippingForm
    paginator = DeskPaginator
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_display = ("desk_title", "desk_source", "desk_date", "desk_state", "desk_industries",
                    "desk_watch_words")  # fmt: skip
    list_display_links = None  # the title cell links itself, beside its reprints' links
    list_filter = (
        IndustryFilter,
        SourceFilter,
        ("published_at", admin.DateFieldListFilter),
        ("fetched_at", admin.DateFieldListFilter),
        StateFilter,
        WatchWordFilter,
    )
    # Replaced by the pool's full-text search (get_search_results); named for the search box.
    search_fields = ("title",)
    search_help_text = (
        "按标题和正文检索，与读者端检索相同：可输入词语或任意两个以上的字，“-词”排除。"
    )
    ordering = ("-story__day", "-story__watched", "-story__first_seen_at")
    actions = ("star_stories", "ignore_stories", "renew_stories")
    readonly_fields = (*PAGE_FACTS, "story_line")
    fieldsets = (
        (None, {"fields": PAGE_FACTS}),
        ("编辑审核", {"fields": ("summary", "confirm_summary", "industries")}),
        ("同一报道", {"fields": ("story_line",)}),
    )

    def get_changelist(self, request, **kwargs):
        return DeskChangeList

    def get_search_results(self, request, queryset, search_term):
        text, notice = clean_query(search_term)
        if not text:
            return queryset, False
        query = parse(text)
        notice = notice or query.notice
        if notice:
            self.message_user(request, notice, messages.INFO)
        if not query:
            return queryset.none(), False
        found, request.desk_matches = pool_search.search(queryset, query)
        return found, False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        # A search has counted its matches (the list's filters were applied before it).
        if hasattr(request, "desk_matches"):
            paginator.count = request.desk_matches
        return paginator

    def changelist_view(self, request, extra_context=None):
        context = {
            "desk_count_limit": DESK_COUNT_LIMIT,
            "desk_match_limit": pool_search.MATCH_LIMIT,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    # --- the list's columns ---

    @admin.display(description="标题")
    def desk_title(self, clipping):
        marks = getattr(clipping, "desk_marks", [])
        url = reverse("admin:intake_clipping_change", args=[clipping.pk])
        title = format_html(
            '<a href="{}" class="desk-title">{}</a>', url, highlighted(clipping.title, marks)
        )
        parts = [title]
        if marks:
            excerpt = snippet(clipping.text, "", marks)
            parts.append(format_html('<div class="desk-excerpt">{}</div>', excerpt))
        elif clipping.summary:
            machine = clipping.summary_origin != Clipping.Origin.EDITOR
            parts.append(
                format_html(
                    '<div class="desk-excerpt">{}{}</div>',
                    clipping.summary,
                    format_html(' <span class="desk-machine">{}</span>', MACHINE_MADE)
                    if machine
                    else "",
                )
            )
        reprints = [c for c in self._story_clippings(clipping) if c.pk != clipping.pk]
        if reprints:
            links = format_html_join(
                "、",
                '<a href="{}">{}</a>',
                (
                    (
                        reverse("admin:intake_clipping_change", args=[c.pk]),
                        c.source_name or "未知来源",
                    )
                    for c in reprints[:REPRINTS_NAMED]
                ),
            )
            more = "等" if len(reprints) > REPRINTS_NAMED else ""
            parts.append(
                format_html(
                    '<div class="desk-reprints">另有 {} 家转载：{}{}</div>',
                    len(reprints),
                    links,
                    more,
                )
            )
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above

    @admin.display(description="来源")
    def desk_source(self, clipping):
        return clipping.source_name or "—"

    @admin.display(description="发布时间")
    def desk_date(self, clipping):
        if clipping.published_at:
            return timezone.localtime(clipping.published_at).strftime("%Y-%m-%d")
        fetched = timezone.localtime(clipping.fetched_at).strftime("%Y-%m-%d")
        return format_html('{}<span class="desk-quiet">（抓取）</span>', fetched)

    @admin.display(description="状态")
    def desk_state(self, clipping):
        label = format_html(
            '<span class="desk-state desk-state-{}">{}</span>',
            clipping.state,
            clipping.get_state_display(),
        )
        used = [c for c in self._story_clippings(clipping) if c.article_id]
        if clipping.article_id or not used:
            return label
        return format_html('{}<div class="desk-quiet">本报道已采用</div>', label)

    @admin.display(description="产业")
    def desk_industries(self, clipping):
        names = "、".join(getattr(clipping, "desk_industry_names", []))
        if not names:
            return "—"
        if clipping.industries_reviewed:
            return names
        return format_html('{} <span class="desk-machine">{}</span>', names, MACHINE_MADE)

    @admin.display(description="监测词")
    def desk_watch_words(self, clipping):
        words = dict.fromkeys(w for m in self._story_clippings(clipping) for w in m.words)
        return format_html_join(" ", '<mark class="desk-watch">{}</mark>', ((w,) for w in words))

    @staticmethod
    def _story_clippings(clipping):
        """The clippings of the row's story, earliest first (desk_rows.Member, loaded with
        the page)."""
        return getattr(clipping, "desk_story", [])

    # --- actions: for every clipping of each selected story ---

    @admin.action(description="收藏所选报道", permissions=["change"])
    def star_stories(self, request, queryset):
        self._triage(request, queryset, Clipping.State.STARRED)

    @admin.action(description="忽略所选报道", permissions=["change"])
    def ignore_stories(self, request, queryset):
        self._triage(request, queryset, Clipping.State.IGNORED)

    @admin.action(description="把所选报道恢复为新", permissions=["change"])
    def renew_stories(self, request, queryset):
        self._triage(request, queryset, Clipping.State.NEW)

    def _triage(self, request, queryset, state):
        changed = desk.triage(queryset, state)
        label = desk.TRIAGE_LABELS[state]
        if changed:
            self.message_user(request, f"已{label} {changed} 篇稿件。", messages.SUCCESS)
        else:
            self.message_user(request, f"没有需要{label}的稿件。", messages.INFO)

    # --- a clipping's page ---

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        scores = obj.industry_scores or {}
        industries = form.base_fields.get("industries")
        if industries is not None:
            industries.label_from_instance = lambda industry: _with_score(industry, scores)
            industries.help_text = "勾选适用的产业；括号内为系统建议得分。"
            if not obj.industries_reviewed:
                industries.label = f"产业（{MACHINE_MADE}）"
        summary = form.base_fields.get("summary")
        if summary is not None and obj.summary_origin != Clipping.Origin.EDITOR:
            summary.label = f"摘要草稿（{obj.get_summary_origin_display()}）"
        return form

    def save_model(self, request, obj, form, change):
        # Saving the page is the editor's review: the industries are theirs from now on, and
        # the summary too once changed or confirmed. Title and text are never written here.
        if "summary" in form.changed_data or form.cleaned_data.get("confirm_summary"):
            obj.summary_origin = Clipping.Origin.EDITOR
        obj.industries_reviewed = True
        obj.save(update_fields=["summary", "summary_origin", "industries_reviewed"])

    def add_view(self, request, form_url="", extra_context=None):
        # The add page is 添加链接: clippings come from addresses, never typed in.
        return desk.add_link_view(self, request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        clipping = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if clipping is not None:
            context.update(
                clipping_body=mark_safe(sanitize_html(clipping.html)),  # noqa: S308 - sanitized
                may_adopt=adopting.may_adopt(request.user),
                may_triage=self.has_change_permission(request, clipping),
                triage_states=list(desk.TRIAGE_LABELS.items()),
                adopted_article=clipping.article,
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/adopt/", wrap(self.adopt_view), name="intake_clipping_adopt"),
            path("<path:object_id>/state/", wrap(self.state_view), name="intake_clipping_state"),
            *super().get_urls(),
        ]

    def adopt_view(self, request, object_id):
        return desk.adopt_view(self, request, object_id)

    def state_view(self, request, object_id):
        return desk.state_view(self, request, object_id)

    @admin.display(description="原文")
    def original_link(self, clipping):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            clipping.url,
            clipping.url,
        )

    @admin.display(description="状态")
    def state_line(self, clipping):
        label = clipping.get_state_display()
        if not clipping.article_id:
            return label
        url = reverse("admin:articles_article_change", args=[clipping.article_id])
        return format_html('{}：<a href="{}">《{}》</a>', label, url, clipping.article)

    @admin.display(description="各家稿件")
    def story_line(self, clipping):
        if not clipping.story_id:
            return "仅此一篇。"
        members = list(
            clipping.story.clippings.only(*STORY_FIELDS).order_by(
                models.F("published_at").asc(nulls_last=True), "pk"
            )
        )
        lead = clipping.story.lead_id or members[0].pk
        rows = format_html_join(
            "",
            '<li>{}<a href="{}">{}</a>：{}（{}）{}{}</li>',
            (
                (
                    mark_safe('<strong class="desk-lead">原发</strong> ') if m.pk == lead else "",
                    reverse("admin:intake_clipping_change", args=[m.pk]),
                    m.source_name or "未知来源",
                    m.title,
                    _when(m.published_at),
                    "（本篇）" if m.pk == clipping.pk else "",
                    _used_link(m),
                )
                for m in members
            ),
        )
        return format_html('<ul class="desk-story">{}</ul>', rows)


def _when(moment) -> str:
    if moment is None:
        return "发布时间不详"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _used_link(clipping) -> str:
    if not clipping.article_id:
        return ""
    url = reverse("admin:articles_article_change", args=[clipping.article_id])
    return format_html('，<a href="{}">已采用</a>', url)


def _with_score(industry, scores) -> str:
    score = scores.get(industry.slug, scores.get(str(industry.pk)))
    if isinstance(score, int | float):
        return f"{industry.name}（{score:.2f}）"
    return industry.name


# --- Watch words ---------------------------------------------------------------------------------


class BulkWatchWordsForm(forms.Form):
    industry = forms.ModelChoiceField(
        label="所属产业",
        queryset=Industry.objects.all(),
        required=False,
        empty_label="许昌本地词（企业、县区、园区）",
        error_messages={"invalid_choice": "所选产业不存在，请重新选择。"},
    )
    words = forms.CharField(
        label="监测词",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 40}),
        help_text="每行一个；已有的词会跳过。",
        error_messages={"required": "请至少填写一个监测词。"},
    )

    def clean_words(self):
        limit = WatchWord._meta.get_field("word").max_length
        words = list(dict.fromkeys(w.strip() for w in self.cleaned_data["words"].splitlines()))
        words = [w for w in words if w]
        too_long = [w for w in words if len(w) > limit]
        if too_long:
            raise forms.ValidationError(f"监测词最长 {limit} 个字：{'、'.join(too_long)}")
        if not words:
            raise forms.ValidationError("请至少填写一个监测词。")
        return words


@admin.register(WatchWord)
class WatchWordAdmin(admin.ModelAdmin):
    """Watch words: reviewers and superusers manage them, editors look them up."""

    list_display = ("word", "industry_label", "active")
    list_filter = ("industry", "active")
    list_select_related = ("industry",)
    search_fields = ("word",)
    fields = ("word", "industry", "active")

    @admin.display(description="所属产业", ordering="industry__order")
    def industry_label(self, word):
        return word.industry.name if word.industry_id else "许昌本地"

    def get_urls(self):
        return [
            path(
                "bulk/",
                self.admin_site.admin_view(self.bulk_add_view),
                name="intake_watchword_bulk",
            ),
            *super().get_urls(),
        ]

    def bulk_add_view(self, request):
        """Add many words at once, one a line, to one industry (or to 许昌's own list)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BulkWatchWordsForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            words = form.cleaned_data["words"]
            existing = set(WatchWord.objects.filter(word__in=words).values_list("word", flat=True))
            new = [w for w in words if w not in existing]
            WatchWord.objects.bulk_create(
                [WatchWord(word=w, industry=form.cleaned_data["industry"]) for w in new],
                ignore_conflicts=True,
            )
            text = f"已添加 {len(new)} 个监测词。"
            if existing:
                text += f"已存在而跳过：{'、'.join(sorted(existing))}。"
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:intake_watchword_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "批量添加监测词",
            "crumb": "批量添加",
            "submit_label": "添加",
            "form": form,
        }
        return TemplateResponse(request, "admin/intake/form_page.html", context)


# --- 素材来源 on an article's page ---------------------------------------------------------------

# The workflow, a lower layer, does not know the pool. The pool adds its line to the article's
# page itself: a template that extends the workflow's change form with one block, showing the
# clippings this article was made from (Clipping.article, related_name "clippings").
admin.site.get_model_admin(Article).change_form_template = "admin/intake/article_change_form.html"
