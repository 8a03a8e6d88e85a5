import mimetypes
import os
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils._os import safe_join
from django.views.static import serve

from apps.uploads.access import may_see_file
from apps.uploads.files import clean_path


@login_required
def protected_media(request, path):
    """Serve an uploaded file to staff and to those who may read an item that uses it.

    Everyone else gets 404, as for a page they may not read. With settings.MEDIA_ACCEL_REDIRECT
    (the internal location of a web server in front, e.g. "/protected-media/"), the file itself
    is sent by that server once the app has decided.
    """
    # The name checked is the name sent: one canonical spelling, inside MEDIA_ROOT.
    path = clean_path(path)
    if path is None or not may_see_file(request.user, path):
        raise Http404
    accel_prefix = settings.MEDIA_ACCEL_REDIRECT
    if accel_prefix:
        try:
            full_path = safe_join(settings.MEDIA_ROOT, path)
        except SuspiciousFileOperation as error:
            raise Http404 from error
        # The same answers as without the web server: 404 for a folder or a missing file.
        if not os.path.isfile(full_path):
            raise Http404
        content_type, _ = mimetypes.guess_type(path)
        response = HttpResponse(content_type=content_type or "application/octet-stream")
        # Escaped: nginx unescapes the header, and "?" or "#" must stay part of the name.
        response["X-Accel-Redirect"] = accel_prefix + quote(path, safe="/")
    else:
        try:
            response = serve(request, path, document_root=settings.MEDIA_ROOT)
        except SuspiciousFileOperation as error:  # a path that leaves MEDIA_ROOT
            raise Http404 from error
    # Asked again on every use: a withdrawal or an ended subscription counts at once, and a
    # browser's copy is revalidated (304) only after the check above.
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def ping(request):
    """The cheapest page the app serves: the framework's floor in `make bench`."""
    return HttpResponse("pong", content_type="text/plain")


def import_word(request):
    """从 Word 导入 (apps.wordimport.views.import_word), its code loaded on the first use.

    The Word import's parsers (python-docx, mammoth) cost every web process about 6 MiB, and only
    editors use them, now and then: a worker that serves readers never loads them.
    """
    from apps.wordimport import views

    return views.import_word(request)


# --- Error pages ---------------------------------------------------------------------------------
# Django's own handlers are decorated with requires_csrf_token, which runs the CSRF check: on a
# POST that check reads request.POST. When the error being answered is that the body could not
# be read (a charset other than UTF-8, a broken multipart form), it raises again, then the 500
# handler raises the same way, and the exception leaves Django: the WSGI server answers a bare
# 500 and prints a plain-text traceback, with no request id. These handlers never run the check
# and never read the body; none of their templates holds a form, so they need no CSRF token.


def bad_request(request, exception):
    """400: templates/400.html, rendered without the request (nothing of it is needed)."""
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


def permission_denied(request, exception):
    """403: templates/403.html, with the reader site's frame (the user, the publication)."""
    return HttpResponseForbidden(loader.render_to_string("403.html", request=request))


def page_not_found(request, exception):
    """404: templates/404.html, with the reader site's frame (the user, the publication)."""
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request):
    """500: templates/500.html, without the request: the database may be what failed."""
    return HttpResponseServerError(loader.render_to_string("500.html"))
