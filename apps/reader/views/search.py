from django.template.response import TemplateResponse
from django.views import View

from apps.articles.models import Article
from apps.core.ids import parse_id
from apps.issues.models import Issue
from apps.reader.filters import ArticleSearchFilter
from apps.reader.mixins import SubscriberRequiredMixin
from apps.reader.page_cache import CachedPageMixin
from apps.search.engine import clean_query, matching_issues, parse, search_page
from apps.search.snippets import highlighted, snippet

PER_PAGE = 10


class SearchResults(View):
    """Chinese full-text search over the articles and editor's notes the reader may see."""

    def get(self, request):
        text, notice = clean_query(request.GET.get("q", ""))
        visible = Article.objects.visible_to(request.user)
        filters = ArticleSearchFilter(request.GET, queryset=visible)
        # Flashed messages are per user: they wait for the next page, not in the cache.
        context = {
            "q": text, "notice": notice, "filters": filters, "page_obj": None, "messages": ()
        }  # fmt: skip
        if text and filters.is_valid():
            query = parse(text)
            if not query:
                context["notice"] = query.notice
            else:
                context["notice"] = notice or query.notice
                number = parse_id(request.GET.get("page")) or 1
                page = search_page(filters.qs, query, number=number, per_page=PER_PAGE)
                marks = query.marks
                for article in page:
                    article.marked_title = highlighted(article.title, marks)
                    article.snippet = snippet(article.summary, article.body, marks)
                issues = []
                if page.number == 1:
                    issues = matching_issues(self.issues(request.user, filters), query)
                for issue in issues:
                    issue.marked_title = highlighted(str(issue), marks)
                    issue.snippet = snippet(issue.title, issue.editor_note, marks)
                if page.bounded:
                    context["notice"] = context["notice"] or (
                        "找到的文章较多：标题含有检索词的文章和最新的一批文章按相关度排在前面；"
                        "加上引号、产业、栏目或日期筛选可以缩小范围。"
                    )
                context.update(page_obj=page, issues=issues, marks=marks)
        return TemplateResponse(request, "search/results.html", context)

    @staticmethod
    def issues(user, filters):
        """The issues whose editor's notes this search may show, under the same filters."""
        data = filters.form.cleaned_data
        if data.get("industry") or data.get("section"):
            return Issue.objects.none()  # a note belongs to no industry or section
        issues = Issue.objects.visible_to(user)
        if data.get("year"):
            issues = issues.filter(year=data["year"])
        if data.get("published_after"):
            issues = issues.filter(published_at__date__gte=data["published_after"])
        if data.get("published_before"):
            issues = issues.filter(published_at__date__lte=data["published_before"])
        return issues


class SearchView(SubscriberRequiredMixin, CachedPageMixin, SearchResults):
    """The search page. The same query gives every reader of an audience the same page: it
    comes from the page cache, checked against the content counter like every reader page."""

    page_kind = "search"
    query_names = ("q", *ArticleSearchFilter.base_filters, "page")

    def page_id(self):
        return self.query_key()
