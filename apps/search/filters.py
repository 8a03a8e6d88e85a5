import django_filters
from django import forms

from apps.articles.models import Article, Industry, Section


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
