from itertools import groupby

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from apps.articles.models import Article, Industry
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


class IndustryView(SubscriberRequiredMixin, CachedPageMixin, ListView):
    """The articles of one industry, newest first."""

    template_name = "articles/industry_detail.html"
    context_object_name = "articles"
    paginate_by = 20
    page_kind = "industry"
    query_names = ("page",)

    def page_id(self):
        return f"{self.kwargs['slug']}:{self.query_key()}"

    def get_queryset(self):
        self.industry = get_object_or_404(
            Industry.objects.select_related("group"), slug=self.kwargs["slug"]
        )
        return (
            Article.objects.visible_to(self.request.user)
            .filter(industries=self.industry)
            .select_related("issue", "section")
            .order_by("-issue__published_at", "section__order", "position")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(industry=self.industry, **kwargs)
