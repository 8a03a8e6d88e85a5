"""Proofs (校样): the print page and the PDF of any issue the staff member may see, before it
is published, as leaders or as other readers will get it, marked as a proof on every page."""

from urllib.parse import quote

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View

from apps.accounts.access import Audience
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.reader.printing import print_context, render_pdf, stamp
from apps.reader.views.issues import cover_size
from apps.workflow.roles import visible_to_staff

AUDIENCES = {Audience.LEADERSHIP: "领导版", Audience.ALL: "企业及其他读者版"}


class ProofMixin(PermissionRequiredMixin):
    """Staff who may see the issue in the back office (the admin's sign-in and second factor
    come from the URL's wrapper)."""

    permission_required = "issues.view_issue"
    raise_exception = True

    def proof(self, request, pk):
        issue = get_object_or_404(visible_to_staff(request.user, Issue.objects.all()), pk=pk)
        audience = Audience.ALL if request.GET.get("as") == Audience.ALL else Audience.LEADERSHIP
        articles = visible_to_staff(request.user, Article.objects.filter(issue=issue))
        if audience == Audience.ALL:
            articles = articles.filter(visibility=Article.Visibility.ALL)
        who = request.user.get_full_name() or request.user.get_username()
        mark = f"校样 · {AUDIENCES[audience]} · {who} · {timezone.localtime():%Y-%m-%d %H:%M}"
        context = print_context(request, issue, articles=articles, mark=mark)
        return issue, {**context, "proof": AUDIENCES[audience], "cover_size": cover_size(issue)}


class IssueProofPrintView(ProofMixin, View):
    def get(self, request, pk):
        _, context = self.proof(request, pk)
        return render(request, "issues/issue_print.html", context)


class IssueProofPdfView(ProofMixin, View):
    """Rendered afresh every time (proofs change often), stamped like a reader's copy."""

    def get(self, request, pk):
        issue, context = self.proof(request, pk)
        document = render_pdf(request, issue, {**context, "reader_mark": ""})
        response = HttpResponse(
            stamp(document, context["reader_mark"]), content_type="application/pdf"
        )
        filename = f"{issue.year}年第{issue.number}期-校样.pdf"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response["Cache-Control"] = "private, no-store"
        return response
