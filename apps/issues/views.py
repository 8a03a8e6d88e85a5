from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, ListView, View

from apps.articles.models import Article
from apps.issues.contents import by_section
from apps.issues.models import Issue
from apps.subscribers.access import SubscriberRequiredMixin
from apps.subscribers.readership import record_reading


class HomeView(SubscriberRequiredMixin, View):
    """Open the latest issue the reader may see (the archive when there is none yet)."""

    def get(self, request):
        latest = Issue.objects.visible_to(request.user).order_by("-published_at").first()
        return redirect(latest or "issues:list")


class IssueListView(SubscriberRequiredMixin, ListView):
    template_name = "issues/issue_list.html"
    context_object_name = "issues"
    paginate_by = 50

    def get_queryset(self):
        return Issue.objects.visible_to(self.request.user).order_by("-published_at", "-pk")


class IssueDetailView(SubscriberRequiredMixin, DetailView):
    template_name = "issues/issue_detail.html"
    context_object_name = "issue"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Issue.objects.visible_to(self.request.user),
            year=self.kwargs["year"],
            number=self.kwargs["number"],
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        record_reading(request.user, self.object)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        articles = Article.objects.visible_to(self.request.user).filter(issue=self.object)
        context["sections"] = by_section(articles.for_contents())
        return context
