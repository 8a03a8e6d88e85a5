"""A published article's proposed corrections in the admin: the page where an editor proposes
one (提出更正), the panel on the article's form that shows it beside the live text, and the
buttons of the reviewer (通过更正, 退回更正), the 签发人 and the proposer. Every button is a step
of apps.workflow.steps."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.articles.models import Article
from apps.workflow import signing, steps
from apps.workflow.forms import CorrectionProposalForm
from apps.workflow.history import compare_fields
from apps.workflow.models import CorrectionProposal
from apps.workflow.roles import is_signer

# The panel's buttons: (the step, what it reads from the form).
CORRECTION_STEPS = {
    "approve": steps.ARTICLE_APPROVE_CORRECTION,
    "return": steps.ARTICLE_RETURN_CORRECTION,
    "withdraw": steps.ARTICLE_WITHDRAW_CORRECTION,
    "sign": steps.ARTICLE_SIGN_CORRECTION,
    "refuse_sign": steps.ARTICLE_REFUSE_CORRECTION_SIGN,
}


def _take(name, proposal, by, post):
    comment, seen = post.get("comment", ""), post.get("fingerprint", "")
    if name == "approve":
        return steps.approve_correction(proposal, by=by)
    if name == "return":
        return steps.return_correction(proposal, by=by, comment=comment)
    if name == "withdraw":
        return steps.withdraw_correction(proposal, by=by)
    if name == "sign":
        return steps.sign_correction(proposal, by=by, seen=seen)
    return steps.refuse_correction_sign_off(proposal, by=by, comment=comment, seen=seen)


class ProposedCorrectionsMixin:
    """For ArticleAdmin (a WorkflowAdmin)."""

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/correction/",
                wrap(self.propose_correction_view),
                name=f"{prefix}_propose_correction",
            ),
            path(
                "<path:object_id>/correction/<int:proposal_id>/<str:name>/",
                wrap(self.post_only(self.correction_step_view)),
                name=f"{prefix}_correction_step",
            ),
            *super().get_urls(),
        ]

    def corrections_panel(self, request, article):
        """The change form's 更正 panel: the open proposal against the live text, the earlier
        ones, and what this user may do; None when there is nothing to show."""
        correctable = steps.is_correctable(article)
        proposals = list(
            CorrectionProposal.objects.filter(article=article).select_related(
                "proposed_by", "decided_by"
            )[:10]
        )
        if not correctable and not proposals:
            return None
        user = request.user
        current = next((p for p in proposals if p.status == CorrectionProposal.Status.OPEN), None)
        panel = {
            "open": current,
            "past": [p for p in proposals if p is not current],
            "may_propose": correctable and current is None and steps.may_propose_correction(user),
            "propose_url": self.admin_url("propose_correction", article),
        }
        if current is not None:
            state = signing.correction_state(current)
            panel.update(
                changes=compare_fields(Article, article, current, steps.CORRECTED_FIELDS),
                state=state,
                may_decide=steps.may_decide_correction(user),
                may_sign=state.required and is_signer(user),
                may_withdraw=current.proposed_by_id == user.pk or steps.may_decide_correction(user),
                urls={
                    name: reverse(
                        f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"
                        "_correction_step",
                        args=[article.pk, current.pk, name],
                    )
                    for name in CORRECTION_STEPS
                },
            )
        return panel

    def propose_correction_view(self, request, object_id):
        article = self.get_object(request, object_id)
        if article is None or not steps.may_propose_correction(request.user):
            raise PermissionDenied
        change_url = self.admin_url("change", article) + "#corrections"
        if not steps.is_correctable(article):
            self.message_user(request, "只有已上线的文章才能提出更正。", messages.ERROR)
            return HttpResponseRedirect(change_url)
        if CorrectionProposal.objects.filter(
            article=article, status=CorrectionProposal.Status.OPEN
        ).exists():
            self.message_user(
                request, "这篇文章已有一份待审核的更正，请在其下批注。", messages.WARNING
            )
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            form = CorrectionProposalForm(request.POST)
            if form.is_valid():
                try:
                    steps.propose_correction(article, by=request.user, **form.cleaned_data)
                except steps.TransitionNotAllowed as error:
                    raise PermissionDenied(str(error)) from error
                except steps.TransitionRefused as error:
                    form.add_error(None, str(error))  # what was typed stays on the page
                else:
                    told = "更正已提出，等待审核；通过前读者看到的仍是原文。"
                    self.message_user(request, told, messages.SUCCESS)
                    return HttpResponseRedirect(change_url)
        else:
            form = CorrectionProposalForm(
                initial={name: getattr(article, name) for name in steps.CORRECTED_FIELDS}
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"提出更正：{article}",
            "form": form,
            "media": self.media + form.media,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/workflow/propose_correction.html", context)

    def correction_step_view(self, request, object_id, proposal_id, name):
        article = self.get_object(request, object_id)
        if article is None or name not in CORRECTION_STEPS:
            raise PermissionDenied
        proposal = CorrectionProposal.objects.filter(pk=proposal_id, article=article).first()
        if proposal is None:
            raise Http404
        label = CORRECTION_STEPS[name].label
        try:
            _take(name, proposal, request.user, request.POST)
        except steps.TransitionNotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except steps.AlreadyDone as error:
            self.message_user(request, str(error), messages.INFO)
        except steps.TransitionRefused as error:
            self.message_user(request, f"未能{label}：{error}", messages.ERROR)
        else:
            self.message_user(request, f"已{label}：《{article.title}》", messages.SUCCESS)
        return HttpResponseRedirect(self.admin_url("change", article) + "#corrections")
