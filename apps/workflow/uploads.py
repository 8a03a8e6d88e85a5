"""The image upload endpoint of the rich-text editor (CKEditor 5) in the back office."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from apps.accounts.access import acts_as_staff
from apps.core.images import reencode_image, store_editor_image


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
    _, url = store_editor_image(image)
    return JsonResponse({"url": url})


def _may_upload(user):
    # Part of the back office: only staff past the second factor (where the admin asks for a
    # TOTP code) who edit articles or issues upload their images, whatever
    # django-ckeditor-5's own setting says (its own upload view is not routed).
    if not acts_as_staff(user):
        return False
    return user.has_perm("articles.change_article") or user.has_perm("issues.change_issue")
