from django.core.paginator import Paginator
from django.shortcuts import render
from django.views import View

from apps.articles.models import Article
from apps.reader.filters import ArticleSearchFilter
from apps.reader.mixins import SubscriberRequiredMixin
from apps.search.engine import CANDIDATES, clean_query, in_order, search
from apps.search.snippets import snippet

PER_PAGE = 10


class SearchView(SubscriberRequiredMixin, View):
    """Chinese full-text search over the articles the reader may see, with filters."""

    def get(self, request):
        text, notice = clean_query(request.GET.get("q", ""))
        visible = Article.objects.visible_to(request.user)
        filters = ArticleSearchFilter(request.GET, queryset=visible)
        context = {"q": text, "notice": notice, "filters": filters, "page_obj": None}
        if text and filters.is_valid():
            ranked, terms = search(filters.qs, text)
            if not terms:
                context["notice"] = "请输入要搜索的文字，例如：科技创新。"
            else:
                page = Paginator(ranked, PER_PAGE).get_page(request.GET.get("page"))
                page.object_list = in_order(page.object_list)
                for article in page:
                    article.snippet = snippet(article, terms)
                if page.paginator.count >= CANDIDATES:
                    context["notice"] = (
                        f"找到的文章较多，这里列出其中最新的 {CANDIDATES} 篇，按相关度排列；"
                        "加上产业、栏目或日期筛选可以缩小范围。"
                    )
                context.update(page_obj=page, terms=terms)
        return render(request, "search/results.html", context)
