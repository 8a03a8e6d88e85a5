from itertools import groupby

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView, TemplateView

from apps.articles.images import reencode_image, upload_path
from apps.articles.models import Article, Industry
from apps.issues.page_cache import CachedPageMixin
from apps.subscribers.access import SubscriberRequiredMixin


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


class IndustryMapView(SubscriberRequiredMixin, TemplateView):
    """The 6+3+3 industries with how many articles the reader may read in each."""

    template_name = "articles/industry_map.html"

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


class IndustryView(SubscriberRequiredMixin, ListView):
    """The articles of one industry, newest first."""

    template_name = "articles/industry_detail.html"
    context_object_name = "articles"
    paginate_by = 20

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


def _upload_error(message, status):
    # The shape CKEditor 5's upload adapter shows to the editor.
    return JsonResponse({"error": {"message": message}}, status=status)


@require_POST
def editor_image_upload(request):
    """Store an image pasted or inserted in CKEditor 5, re-encoded, under a server-chosen name."""
    if not _may_upload(request.user):
        return _upload_error("您没有上传图片的权限。", status=403)
    upload = request.FILES.get("upload")
    if upload is None:
        return _upload_error("没有收到图片文件，请重新选择。", status=400)
    try:
        image = reencode_image(upload)
    except ValidationError as error:
        return _upload_error(error.messages[0], status=400)
    name = default_storage.save(upload_path("editor", image.name), image)
    return JsonResponse({"url": default_storage.url(name)})


def _may_upload(user):
    # The setting keeps django-ckeditor-5's meaning (its own upload view is not routed); on
    # top of it, only those who edit articles or issues need to upload their images.
    if settings.CKEDITOR_5_FILE_UPLOAD_PERMISSION == "staff" and not (
        user.is_active and user.is_staff
    ):
        return False
    return user.has_perm("articles.change_article") or user.has_perm("issues.change_issue")
