from itertools import groupby

from django.db.models import Count, Q
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from apps.accounts.access import subscription_of
from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from apps.reader.mixins import SubscriberRequiredMixin
from apps.reader.page_cache import CachedPageMixin


class ArticleDetailView(SubscriberRequiredMixin, CachedPageMixin, DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"
    page_kind = "article"

    def page_id(self):
        return self.kwargs["pk"]

    def reading_of(self, article):
        return article.issue_id, article.pk

    def get_object(self, queryset=None):
        articles = Article.objects.visible_to(self.request.user).select_related("issue", "section")
        return get_object_or_404(articles, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["neighbours"] = self.neighbours
        return context

    def neighbours(self):
        """The articles before and after this one in its issue, among those the reader sees."""
        siblings = list(
            Article.objects.visible_to(self.request.user)
            .filter(issue=self.object.issue_id)
            .for_contents()
            .only("pk", "title", "section__order", "position")
        )
        index = next(i for i, a in enumerate(siblings) if a.pk == self.object.pk)
        previous = siblings[index - 1] if index > 0 else None
        following = siblings[index + 1] if index + 1 < len(siblings) else None
        return previous, following


class IndustryMapView(SubscriberRequiredMixin, CachedPageMixin, TemplateView):
    """The 6+3+3 industries with how many articles the reader may read in each."""

    template_name = "articles/industry_map.html"
    page_kind = "industries"

    def page_id(self):
        return "all"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = Article.objects.visible_to(self.request.user).values("pk")
        industries = (
            Industry.objects.select_related("group")
            .annotate(article_count=Count("articles", filter=Q(articles__in=visible)))
            # Meta.ordering does not apply to aggregated queries: say it again.
            .order_by("group__order", "order", "pk")
        )
        context["groups"] = [
            (group, list(items)) for group, items in groupby(industries, key=lambda i: i.group)
        ]
        return context


# Where templates/articles/industry_detail.html's follow form takes the reader's CSRF token.
CSRF_SLOT = b"<!--csrf-token-->"


class IndustryView(SubscriberRequiredMixin, CachedPageMixin, ListView):
    """The articles of one industry, newest first."""

    template_name = "articles/industry_detail.html"
    context_object_name = "articles"
    paginate_by = 20
    page_kind = "industry"
    query_names = ("page",)

    def page_id(self):
        # The 关注 / 取消关注 button shows this reader's choice: the choice is part of the key,
        # so a page made for a reader who follows the industry is never served to one who does
        # not (and a reader without a subscription, who has no button, gets a copy of their own).
        return f"{self.kwargs['slug']}:{self.follow_state}:{self.query_key()}"

    @cached_property
    def follow_state(self) -> str:
        """Return whether the reader follows the industry: following, not-following, or none
        for an account without a subscription (staff). One query, cached page or not."""
        subscription = subscription_of(self.request.user)
        if subscription is None:
            return "none"
        follows = subscription.industries.filter(slug=self.kwargs["slug"]).exists()
        return "following" if follows else "not-following"

    def get_queryset(self):
        self.industry = get_object_or_404(
            Industry.objects.select_related("group"), slug=self.kwargs["slug"]
        )
        return (
            Article.objects.visible_to(self.request.user)
            .filter(industries=self.industry)
            .select_related("issue", "section")
            .order_by(*Issue.objects.newest_first_order("issue__"), "section__order", "position")
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if response.status_code == 200 and CSRF_SLOT in response.content:
            # The page is cached for every reader in the same state; the follow form's CSRF
            # token is this reader's own, so it goes in after the cache, never into it (and
            # get_token sets the cookie it is checked against). Escaped text cannot contain
            # the slot's "<!--".
            field = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            response.content = response.content.replace(CSRF_SLOT, field.encode())
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            industry=self.industry, follow_state=self.follow_state, **kwargs
        )


class IndustryFollowView(SubscriberRequiredMixin, View):
    """关注 / 取消关注 an industry from its page: the reader's followed industries, as on the
    profile, then back to the industry's page.

    The form says which state it asks for (`follow` 1 or 0), not "toggle": pressing twice, or
    in two tabs, leaves what the reader last saw on the button.
    """

    http_method_names = ["get", "post"]

    def post(self, request, slug):
        industry = get_object_or_404(Industry, slug=slug)
        subscription = subscription_of(request.user)
        if subscription is not None:
            if request.POST.get("follow") == "1":
                subscription.industries.add(industry)
            else:
                subscription.industries.remove(industry)
        return redirect("reader:industry", slug=industry.slug)

    def get(self, request, slug):
        # The address only takes the form's POST; a visitor who opens it sees the page.
        return redirect("reader:industry", slug=slug)
