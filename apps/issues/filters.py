import django_filters

from apps.articles.models import Article, Industry
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
