"""The filters of the reader's lists: the archive and the search results."""

import django_filters
from django import forms

from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue


class ArchiveFilter(django_filters.FilterSet):
    """Filter the archive by year and by industry (issues with a readable article in it)."""

    year = django_filters.ChoiceFilter(label="年份", empty_label="全部年份")
    industry = django_filters.ModelChoiceFilter(
        label="产业",
        queryset=Industry.objects.all(),
        to_field_name="slug",
        empty_label="全部产业",
        method="filter_industry",
    )

    class Meta:
        model = Issue
        fields = ["year", "industry"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        years = self.queryset.order_by().values_list("year", flat=True).distinct()
        self.filters["year"].extra["choices"] = [(y, f"{y}年") for y in sorted(years, reverse=True)]

    def filter_industry(self, queryset, name, industry):
        articles = Article.objects.visible_to(self.user).filter(industries=industry)
        return queryset.filter(pk__in=articles.values("issue_id"))


class ArticleSearchFilter(django_filters.FilterSet):
    """Narrow search results by industry, section, year and publication date."""

    industry = django_filters.ModelChoiceFilter(
        label="产业",
        field_name="industries",
        queryset=Industry.objects.all(),
        to_field_name="slug",
        empty_label="全部产业",
    )
    section = django_filters.ModelChoiceFilter(
        label="栏目", queryset=Section.objects.all(), to_field_name="slug", empty_label="全部栏目"
    )
    year = django_filters.NumberFilter(label="年份", field_name="issue__year")
    published_after = django_filters.DateFilter(
        label="起始日期",
        field_name="issue__published_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    published_before = django_filters.DateFilter(
        label="截止日期",
        field_name="issue__published_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Article
        fields = ["industry", "section", "year", "published_after", "published_before"]
