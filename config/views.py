from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpResponse
from django.views.static import serve

from apps.accounts.access import may_read


@login_required
def protected_media(request, path):
    """Serve uploaded images to those who may read the bulletin: its images are internal too."""
    if not may_read(request.user):
        raise Http404
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except SuspiciousFileOperation as error:  # a path that leaves MEDIA_ROOT
        raise Http404 from error
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def ping(request):
    """The cheapest page the app serves: the framework's floor in `make bench`."""
    return HttpResponse("pong", content_type="text/plain")
