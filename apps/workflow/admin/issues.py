import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from apps.accounts.access import Audience
from apps.articles.models import Article, Section
from apps.core.forms import ReencodedImageField
from apps.core.ids import parse_id
from apps.issues.models import Issue
from apps.notifications import deliveries
from apps.push import deliveries as push_deliveries
from apps.subscribers.models import Subscriber
from apps.workflow import arrange, signing, steps
from apps.workflow.admin.base import WorkflowAdmin, report_each, rich_text_display
from apps.workflow.models import SignOff
from apps.workflow.roles import is_reviewer, may_edit, visible_to_staff
from apps.workflow.selectors import expected_total_numbers


class PublicationFilter(admin.SimpleListFilter):
    title = "发布情况"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [("scheduled", "定时发布（尚未上线）"), ("live", "已上线")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "scheduled":
            return queryset.filter(status=Issue.Status.PUBLISHED, published_at__gt=now)
        if self.value() == "live":
            return queryset.filter(status=Issue.Status.PUBLISHED, published_at__lte=now)
        return queryset


# Why a published issue's signed content is not changed in place.
SIGNED_AND_OUT = (
    "本期已发布或定时发布，其内容经过签发，不能再调整编排或修改。"
    "如确需修改，定时发布的请先「取消定时」；已上线的文章请「提出更正」。"
)


@admin.register(Issue)
class IssueAdmin(WorkflowAdmin):
    list_display = ("__str__", "title", "status", "publication_time", "article_count")
    list_filter = ("status", PublicationFilter, "year")
    search_fields = ("title", "year", "number", "total_number")
    ordering = ("-year", "-number")
    formfield_overrides = {models.ImageField: {"form_class": ReencodedImageField}}
    fieldsets = (
        (None, {"fields": ("year", "number", "total_number", "title", "cover", "edit_version")}),
        ("编者的话", {"fields": ("editor_note",)}),
        ("计划", {"fields": ("planned_date", "theme", "deadline")}),
        (
            "发布",
            {
                "fields": (
                    "status",
                    "published_at",
                    "went_live_at",
                    "signed_by",
                    "signed_at",
                    "created_by",
                    "created_at",
                    "updated_by",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = (
        "went_live_at",
        "signed_by",
        "signed_at",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    )
    rich_text_fields = ("editor_note",)
    editor_note_rendered = rich_text_display("editor_note", "编者的话")
    preview_template = "issues/issue_detail.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_total=models.Count("articles"))

    def transition_summary(self, issue, transition, at):
        if transition in (steps.ISSUE_SIGN, steps.ISSUE_REFUSE_SIGN):
            return self.signing_summary(issue, transition)
        # Shown only when the step's own checks passed: every article is approved.
        articles = issue.articles.count()
        if transition is steps.ISSUE_WITHDRAW:
            return [
                f"读者将立即看不到本期及其 {articles} 篇文章（阅读、搜索和打印）。",
                "尚未发出的新一期邮件不再发送；已发出的无法收回。",
            ]
        readers = deliveries.recipients()
        leaders = readers.filter(kind=Subscriber.Kind.LEADERSHIP).count()
        lines = [f"本期 {articles} 篇文章将随期刊发布。"]
        if transition.needs_time:
            when = f"{timezone.localtime(at):%Y年%m月%d日 %H:%M}" if at else "（时间未填写或无效）"
            lines.append(f"将于 {when} 对读者可见，届时编入总期号并发送邮件。")
        else:
            lines.append("确认后立即对读者可见，并编入总期号。")
        state = signing.issue_state(issue)
        if state.required or state.valid:
            lines.append(f"签发：{state.label}。" + ("刊头将署签发人姓名。" if state.valid else ""))
        lines.append(
            f"按目前的订户，{readers.count()} 位订户将收到新一期邮件通知"
            f"（其中领导 {leaders} 位）；停用、到期或关闭邮件通知的订户不会收到。"
        )
        return lines

    def signing_summary(self, issue, transition):
        titles = "、".join(f"《{a.title}》" for a in signing.signed_articles(issue))
        if signing.mode() == signing.ALL:
            covered = "本期的编者的话和全部文章"
        else:
            covered = "本期的领导参阅文章"
        lines = [f"{transition.label}的是{covered}：{titles or '（无）'}。"]
        if transition is steps.ISSUE_SIGN:
            lines.append("签发后如再修改这些内容，签发即失效，须重新签发；发布时刊头署您的姓名。")
        return lines

    def order_question(self, issue, transition, at):
        if not transition.orders_issues:
            return []
        now = timezone.now()
        when = at or now
        earlier = steps.issues_waiting_before(issue, when=when)
        if not earlier:
            ahead = steps.issues_going_ahead(issue, when=when, now=now)
            if not ahead:
                return []
            names = "、".join(steps.waiting_label(e) for e in ahead)
            return [
                f"{issue.year}年更晚的{names}将先于本期上线，先编入总期号。",
                "期刊将不再按期号顺序发布。确需如此，请勾选下面的确认框。",
            ]
        numbers = expected_total_numbers(issue, earlier, when=when)
        waiting = "、".join(steps.waiting_label(e) for e in earlier)
        first, *later = numbers
        told = "；".join(
            [f"本期将为总第{first[1]}期"]
            + [f"第{other.number}期发布时将为总第{number}期" for other, number in later]
        )
        return [
            f"{issue.year}年更早的{waiting}尚未发布。总期号按上线先后编排：{told}。",
            "期刊将不再按期号顺序发布。确需先发布本期，请勾选下面的确认框。",
        ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        # Under "all", the issue's own text is signed too: once out, it is not edited here.
        if allowed and obj is not None and signing.mode() == signing.ALL:
            return not self._signed_and_out(obj)
        return allowed

    @staticmethod
    def _signed_and_out(issue):
        """Published or scheduled with content that was signed (签发): its arrangement and
        (under "all") its text stay as signed."""
        return issue.status == Issue.Status.PUBLISHED and signing.issue_needs_sign_off(issue)

    def get_changeform_initial_data(self, request):
        """A new issue proposes this year's next number (the total number comes when it goes
        live; a reviewer may set it)."""
        initial = super().get_changeform_initial_data(request)
        year = timezone.localdate().year
        highest = Issue.objects.filter(year=year).aggregate(models.Max("number"))["number__max"]
        initial.setdefault("year", year)
        initial.setdefault("number", min((highest or 0) + 1, 99))
        return initial

    def get_search_results(self, request, queryset, search_term):
        """Find issues as people write them ("2026年第2期", "2026-2", "第2期", "总第27期"), and
        offer the article form's issue picker only the issues the user may put articles in."""
        if _is_article_issue_picker(request) and not is_reviewer(request.user, Article):
            queryset = queryset.filter(status=Issue.Status.DRAFT)
        wanted = parse_issue_label(search_term)
        if wanted is not None:
            return queryset.filter(**wanted), False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The running number is the chief editor's to set until the issue goes live (a restore
        # of an older version must not take it away); otherwise going live assigns it.
        if is_reviewer(request.user, Issue) and (obj is None or obj.went_live_at is None):
            return fields
        return (*fields, "total_number")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "total_number" in form.base_fields and (obj is None or obj.total_number is None):
            highest = Issue.objects.aggregate(models.Max("total_number"))["total_number__max"]
            form.base_fields[
                "total_number"
            ].help_text = f"留空则在上线时按上线先后自动编号；下一个总期号为 {(highest or 0) + 1}。"
        return form

    @admin.display(description="文章数", ordering="article_total")
    def article_count(self, issue):
        return issue.article_total

    @admin.display(description="发布时间", ordering="published_at")
    def publication_time(self, issue):
        if issue.published_at is None:
            return "—"
        label = f"{timezone.localtime(issue.published_at):%Y-%m-%d %H:%M}"
        if issue.is_scheduled:
            return f"定时：{label}"
        return label

    def preview_context(self, request, issue, audience):
        articles = visible_to_staff(request.user, issue.articles.for_contents())
        if audience == Audience.ALL:
            articles = articles.filter(visibility=Article.Visibility.ALL)
        return {"issue": issue, "articles": articles}

    def preview_links(self, issue):
        proofs = [
            ("校样（领导版）", reverse("reader:issue_proof_print", args=[issue.pk])),
            ("校样（企业版）", reverse("reader:issue_proof_print", args=[issue.pk]) + "?as=all"),
            ("校样 PDF", reverse("reader:issue_proof_pdf", args=[issue.pk])),
        ]
        return [*super().preview_links(issue), *proofs]

    # --- the issue's e-mail: counts, failures, and the reviewer's retry ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if issue is not None and issue.went_live_at is not None:
            context["mail"] = {
                "counts": deliveries.counts(issue),
                # Who failed, for the reviewers who can send again; addresses only for those
                # who may see subscribers' contact details.
                "failures": deliveries.failures(issue) if is_reviewer(request.user, Issue) else [],
                "shows_addresses": request.user.has_perm("subscribers.view_subscriber"),
                "may_retry": is_reviewer(request.user, Issue),
                "retry_url": self.admin_url("mail_retry", issue),
                # The work groups' cards, one per channel, beside the e-mail's figures.
                "push": (pushed := push_deliveries.records(issue)),
                "push_failed": any(d.status == d.Status.FAILED for d in pushed),
                "push_retry_url": self.admin_url("push_retry", issue),
            }
        if issue is not None:
            context["sign_off"] = self.sign_off(request, issue)
            context["arrangement"] = self.arrangement(request, issue)
            if issue.status == Issue.Status.DRAFT:
                context["submit_with"] = self.submitted_with(request, issue)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def sign_off(self, request, issue):
        """Where the issue stands with 签发, what a signature covers (the articles this user
        may see, and how many others), and the decisions so far; nothing when no issue needs
        signing (SIGN_OFF_REQUIRED_FOR=none)."""
        if signing.mode() == signing.NONE:
            return None
        state = signing.issue_state(issue)
        covered = signing.signed_articles(issue)
        shown = list(visible_to_staff(request.user, covered).only("pk", "title"))
        return {
            "state": state,
            "fingerprint": state.fingerprint,
            "articles": shown,
            "others": covered.count() - len(shown),
            "covers_issue": signing.mode() == signing.ALL,
            "decisions": list(
                SignOff.objects.filter(issue=issue, correction__isnull=True).select_related(
                    "signer"
                )[:10]
            ),
        }

    def submitted_with(self, request, issue):
        """The draft articles the issue's 提交审核 takes along, and how many it leaves."""
        taken = steps.articles_submitted_with(issue, by=request.user)
        drafts = issue.articles.filter(status=Article.Status.DRAFT).count()
        return {"articles": taken, "others": drafts - len(taken)}

    # --- arranging the issue's contents on its own page ---

    def arrangement(self, request, issue):
        layout = arrange.current_layout(issue)
        shown = {a.pk for a in visible_to_staff(request.user, issue.articles.all())}
        may_add = request.user.has_perm("articles.add_article") and (
            issue.status == Issue.Status.DRAFT or is_reviewer(request.user, Article)
        )
        add_url = reverse("admin:articles_article_add")
        # The reviewer approves or returns each article in review from here.
        reviewable = set()
        if is_reviewer(request.user, Article):
            reviewable = {
                article.pk
                for _, articles in layout
                for article in articles
                if article.status == Article.Status.REVIEW
            }
        return {
            "sections": [
                {
                    "section": section,
                    "articles": articles,
                    # The form gives the article the section's next free position.
                    "add_url": f"{add_url}?issue={issue.pk}&section={section.pk}",
                }
                for section, articles in layout
            ],
            "shown": shown,
            "reviewable": reviewable,
            "review_url": self.admin_url("review_articles", issue),
            "base": arrange.fingerprint(arrange.as_ids(layout)),
            "may_arrange": may_edit(request.user, issue),
            "may_add": may_add,
            "all_sections": Section.objects.all(),
            "url": self.admin_url("arrange", issue),
        }

    def arrange_view(self, request, object_id):
        issue = self.get_object(request, object_id)
        if issue is None or not may_edit(request.user, issue):
            raise PermissionDenied
        if self._signed_and_out(issue):
            self.message_user(request, SIGNED_AND_OUT, messages.ERROR)
            return HttpResponseRedirect(self.admin_url("change", issue))
        action = request.POST.get("action", "")
        base = request.POST.get("base", "")
        try:
            if action == "save":
                layout = arrange.parse(request.POST.get("layout", ""))
            else:
                target = parse_id(request.POST.get(f"to-{action.partition(':')[2]}", ""))
                layout = arrange.moved(arrange.parse(base), action, target)
            moved = arrange.arrange(issue, layout, base=base, by=request.user)
        except arrange.ArrangeRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, f"已保存编排（调整了 {moved} 篇文章）。", messages.SUCCESS)
        return HttpResponseRedirect(self.admin_url("change", issue) + "#arrangement")

    def review_articles_view(self, request, object_id):
        """The reviewer's buttons on the contents list: 审核通过 or 退回修改 one article, or
        全部通过, each through the article's own step."""
        issue = self.get_object(request, object_id)
        if issue is None or not self.has_view_or_change_permission(request, issue):
            raise PermissionDenied
        # Only the articles this user sees in the back office: a refusal names its article.
        articles = visible_to_staff(request.user, issue.articles.all())
        action, _, pk = request.POST.get("review", "").partition(":")
        back = HttpResponseRedirect(self.admin_url("change", issue) + "#arrangement")
        if action == "approve_all":
            in_review = articles.filter(status=Article.Status.REVIEW).order_by(
                "section__order", "position"
            )
            outcome = steps.take_each(steps.approve_article, in_review, by=request.user)
            report_each(self, request, outcome, steps.ARTICLE_APPROVE.label)
            return back
        step = {"approve": steps.approve_article, "send_back": steps.send_back_article}.get(action)
        article = articles.filter(pk=parse_id(pk)).first() if parse_id(pk) else None
        if step is None or article is None:
            self.message_user(request, "这篇文章已不在本期中，请刷新页面。", messages.ERROR)
            return back
        outcome = steps.take_each(
            step, [article], by=request.user, comment=request.POST.get(f"reason-{article.pk}", "")
        )
        label = steps.get_transition(Article, action).label
        report_each(self, request, outcome, label)
        return back

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/arrange/",
                wrap(self.post_only(self.arrange_view)),
                name="issues_issue_arrange",
            ),
            path(
                "<path:object_id>/articles/review/",
                wrap(self.post_only(self.review_articles_view)),
                name="issues_issue_review_articles",
            ),
            path(
                "<path:object_id>/mail/retry/",
                wrap(self.post_only(self.mail_retry_view)),
                name="issues_issue_mail_retry",
            ),
            path(
                "<path:object_id>/push/retry/",
                wrap(self.post_only(self.push_retry_view)),
                name="issues_issue_push_retry",
            ),
            *super().get_urls(),
        ]

    def mail_retry_view(self, request, object_id):
        issue = self.get_object(request, object_id)
        if issue is None or not is_reviewer(request.user, Issue):
            raise PermissionDenied
        with transaction.atomic():
            count = deliveries.retry_failed(issue)
        if count:
            self.message_user(request, f"已重新发送 {count} 封失败的邮件。", messages.SUCCESS)
        else:
            self.message_user(request, "没有发送失败的邮件。", messages.INFO)
        return HttpResponseRedirect(self.admin_url("change", issue))

    def push_retry_view(self, request, object_id):
        """重新推送: the channels whose card failed get it again."""
        issue = self.get_object(request, object_id)
        if issue is None or not is_reviewer(request.user, Issue):
            raise PermissionDenied
        with transaction.atomic():
            count = push_deliveries.retry_failed(issue)
        if count:
            self.message_user(request, f"已重新推送到 {count} 个推送失败的渠道。", messages.SUCCESS)
        else:
            self.message_user(request, "没有推送失败的渠道。", messages.INFO)
        return HttpResponseRedirect(self.admin_url("change", issue))


ISSUE_LABEL = re.compile(
    r"^\s*(?:(?P<total>总)\s*第\s*(?P<total_number>\d{1,6})\s*期"
    r"|(?:(?P<year>\d{4})\s*(?:年|-|/|\.)\s*)?第?\s*(?P<number>\d{1,2})\s*期?)\s*$"
)


def parse_issue_label(term):
    """The lookup for an issue written as its label, or None when `term` is not one."""
    match = ISSUE_LABEL.match(term or "")
    if match is None:
        return None
    if match["total"]:
        return {"total_number": int(match["total_number"])}
    wanted = {"number": int(match["number"])}
    if match["year"]:
        wanted["year"] = int(match["year"])
    return wanted


def _is_article_issue_picker(request):
    return (
        request.GET.get("app_label") == "articles"
        and request.GET.get("model_name") == "article"
        and request.GET.get("field_name") == "issue"
    )
