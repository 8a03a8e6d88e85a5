from itertools import groupby
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView, TemplateView, View

from apps.accounts.access import subscription_of
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.reader.filters import ArchiveFilter
from apps.reader.mixins import SubscriberRequiredMixin
from apps.reader.page_cache import CachedPageMixin
from apps.reader.pdf_cache import issue_pdf
from apps.reader.printing import mark_stylesheet, print_context, reader_mark

FOLLOWED_LIMIT = 10


def cover_size(issue) -> tuple[int, int] | None:
    """Return the pixel size of the issue's cover, or None when it has none or it is unreadable.

    The page gives it as the image's width and height, so the browser reserves the cover's
    place before it loads (no jump of the text on a phone). Read from the file's header, no
    query; a missing or damaged file still shows the page, and the image without a size.
    """
    if issue is None or not issue.cover:
        return None
    try:
        width, height = issue.cover.width, issue.cover.height
    except (OSError, ValueError):
        return None
    return (width, height) if width and height else None


class VisibleIssueMixin(SubscriberRequiredMixin):
    def visible_issue(self):
        return get_object_or_404(
            # The masthead names who signed it (签发).
            Issue.objects.visible_to(self.request.user).select_related("signed_by"),
            year=self.kwargs["year"],
            number=self.kwargs["number"],
        )


class HomeView(SubscriberRequiredMixin, CachedPageMixin, TemplateView):
    """The latest issue's contents, then what is new in the industries the reader follows."""

    template_name = "issues/home.html"
    page_kind = "home"

    def page_id(self):
        # Readers of an audience who follow the same industries see the same page.
        return "followed-" + "-".join(str(industry.pk) for industry in self.followed)

    @cached_property
    def followed(self):
        """The industries the reader follows: one query, whether the page is cached or not."""
        subscription = subscription_of(self.request.user)
        return list(subscription.industries.all()) if subscription else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        latest = Issue.objects.visible_to(user).newest_first().first()
        visible = Article.objects.visible_to(user)
        context["issue"] = latest
        context["cover_size"] = cover_size(latest)
        context["articles"] = visible.filter(issue=latest).for_contents()
        followed = self.followed
        context["followed"] = followed
        context["followed_articles"] = (
            visible.filter(industries__in=followed)
            .distinct()
            .select_related("issue", "section")
            .order_by(*Issue.objects.newest_first_order("issue__"), "section__order", "position")[
                :FOLLOWED_LIMIT
            ]
            if followed
            else []
        )
        return context


class IssueListView(SubscriberRequiredMixin, CachedPageMixin, ListView):
    """The archive, grouped by year, filtered by year and industry."""

    template_name = "issues/issue_list.html"
    context_object_name = "issues"
    paginate_by = 60
    page_kind = "archive"
    query_names = (*ArchiveFilter.base_filters, "page")

    def page_id(self):
        return self.query_key()

    def get_queryset(self):
        visible = Issue.objects.visible_to(self.request.user).newest_first()
        self.filterset = ArchiveFilter(self.request.GET, queryset=visible, user=self.request.user)
        return self.filterset.qs if self.filterset.is_valid() else visible.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters"] = self.filterset
        context["years"] = [
            (year, list(issues)) for year, issues in groupby(context["issues"], lambda i: i.year)
        ]
        return context


class IssueDetailView(VisibleIssueMixin, CachedPageMixin, DetailView):
    template_name = "issues/issue_detail.html"
    context_object_name = "issue"
    page_kind = "issue"

    def page_id(self):
        return f"{self.kwargs['year']}-{self.kwargs['number']}"

    def reading_of(self, issue):
        return issue.pk, None

    def get_object(self, queryset=None):
        return self.visible_issue()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        articles = Article.objects.visible_to(self.request.user).filter(issue=self.object)
        context["articles"] = articles.for_contents()
        context["cover_size"] = cover_size(self.object)
        return context


class IssuePrintView(VisibleIssueMixin, View):
    """The issue laid out like the printed bulletin, for the browser's print dialog."""

    def get(self, request, year, number):
        issue = self.visible_issue()
        context = print_context(request, issue, mark=reader_mark(request.user))
        return render(
            request, "issues/issue_print.html", {**context, "cover_size": cover_size(issue)}
        )


class IssuePrintMarkView(VisibleIssueMixin, View):
    """The print page's stylesheet with the reader's mark for every printed page's margin.

    A stylesheet of its own (the pages' policy allows styles from this site only, none inline),
    under the issue's address: whoever may not read the issue gets 404 here too.
    """

    def get(self, request, year, number):
        self.visible_issue()
        response = HttpResponse(
            mark_stylesheet(reader_mark(request.user)), content_type="text/css; charset=utf-8"
        )
        response["Cache-Control"] = "private, no-store"
        return response


class IssuePdfView(VisibleIssueMixin, View):
    """The print layout as a PDF file to download, marked with the reader's name on every page.

    Access first (404 for an issue the reader may not read), then the document of the reader's
    audience from the cache (apps.reader.pdf_cache).
    """

    def get(self, request, year, number):
        issue = self.visible_issue()
        response = HttpResponse(issue_pdf(request, issue), content_type="application/pdf")
        filename = f"{issue.year}年第{issue.number}期.pdf"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response["Cache-Control"] = "private, no-store"
        return response
