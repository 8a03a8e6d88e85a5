"""The demo's bundled news sites, served by the development server (apps/demo/bundled.py).

Routed only when DEBUG is on (config/urls.py); the view refuses on its own too, should a
production URLconf ever name it.
"""

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from apps.demo import bundled


def demo_source(request: HttpRequest, path: str) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    base = request.build_absolute_uri(f"/{bundled.URL_PREFIX}").rstrip("/")
    found = bundled.read(path, base)
    if found is None:
        raise Http404
    body, content_type = found
    # Validators, so that intake's conditional requests are answered 304 as a real site would.
    etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)
