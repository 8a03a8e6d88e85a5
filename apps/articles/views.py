from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from apps.articles.images import reencode_image, upload_path
from apps.articles.models import Article
from apps.subscribers.access import SubscriberRequiredMixin
from apps.subscribers.readership import record_reading


class ArticleDetailView(SubscriberRequiredMixin, DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_object(self, queryset=None):
        articles = (
            Article.objects.visible_to(self.request.user)
            .select_related("issue", "section")
            .prefetch_related("industries")
        )
        return get_object_or_404(articles, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        record_reading(request.user, self.object.issue, self.object)
        return response


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
    # Same setting and meaning as django-ckeditor-5's own upload view, which we do not route.
    if settings.CKEDITOR_5_FILE_UPLOAD_PERMISSION == "staff":
        return user.is_active and user.is_staff
    return user.is_authenticated
