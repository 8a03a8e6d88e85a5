"""Refuse, at the door, requests carrying a NUL character or a form larger than its limit.

PostgreSQL cannot hold NUL ("\\x00") in text: psycopg2 refuses any query that carries one with
a ValueError, so a NUL in an admin list filter, a search box, a workflow comment, a login name
or a session cookie became an HTTP 500 wherever that value reached a query. No address, form,
cookie or header the site hands out contains one, so the request is answered with the site's
400 page (templates/400.html) before any code reads it, instead of each query needing a guard.

A form is read once, by ReadFormMiddleware, under the limit of the person sending it
(config.body_limit): larger for staff in the back office, who write long articles. A form over
its limit is answered with a page in Chinese saying so (status 400), never Django's English
RequestDataTooBig page or a 500. In the back office the editor's script refuses such a form
before sending it (static/admin-extra/form-size.js), so what was typed stays in the browser.

A body Django cannot read at all (a urlencoded form in UTF-16, a multipart form without its
boundary, a charset that names no text encoding, too many fields) gets the same 400 page, logged
as one warning, and is never read again: nothing may raise the same error once more while the
error is being answered (config/views.py's error pages never read the body either). A lone
surrogate, which a charset such as utf-7 or unicode_escape can put in a form or a query, is
refused like NUL: neither SQLite's nor PostgreSQL's driver can encode it, and neither can the
response that would show it.

Some Content-Type headers make Django fail while it builds the request, before any middleware
runs; `readable_content_type` wraps the WSGI application (config/wsgi.py) so that they reach
RejectNulMiddleware and are answered like the rest.
"""

import codecs
import logging
import re
from functools import cache

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpResponseBadRequest, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template import engines, loader
from django.template.defaultfilters import filesizeformat
from django.utils.http import parse_header_parameters
from django.utils.log import log_response

from config.body_limit import granted
from config.security import BACK_OFFICE_PREFIXES

# Text no database can hold: NUL (PostgreSQL refuses it) and a lone surrogate (no driver can
# encode it as UTF-8; only a charset such as utf-7 or unicode_escape produces one).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# What Django 5.2 raises while parsing a posted form it cannot read (django/http/request.py,
# django/http/multipartparser.py). Left to Django, the last three would get the 500 page. Each
# is the sender's doing: it gets the 400 page here, and the body is marked as read (below).
UNREADABLE_FORM = (
    # A urlencoded form declared in a charset other than UTF-8: Django reads only UTF-8 there.
    BadRequest,
    # A multipart form that is not one: no boundary or a bad one, a broken part, bad base64.
    MultiPartParserError,
    # Too many fields or files (DATA_UPLOAD_MAX_NUMBER_FIELDS and _FILES), or a multipart
    # parser going round in circles; and RequestDataTooBig, which has a page of its own.
    SuspiciousOperation,
    # A multipart form in a charset that names a codec but no text encoding (base64, hex):
    # Django's check of the header accepts it; decoding a field fails.
    LookupError,
    # A charset whose decoder fails even when told to replace what it cannot read (idna,
    # punycode, undefined: UnicodeError), or a Content-Length that is not a number.
    ValueError,
    # The sender went away before the whole body arrived.
    UnreadablePostError,
)
# Set by readable_content_type on a request whose Content-Type Django cannot build a request from.
UNREADABLE_CONTENT_TYPE = "bulletin.unreadable_content_type"

# Bodies Django parses into request.POST; uploaded files (images, spreadsheets) are binary and
# are not looked at: only the form's text fields are.
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

# Django's own logger for this refusal, so monitoring sees it as before.
too_big_log = logging.getLogger("django.security.RequestDataTooBig")

TOO_BIG_PAGE = """{% extends "error_base.html" %}
{% block title %}提交的内容过大{% endblock %}
{% block content %}
<h1>提交的内容过大</h1>
<p>本次提交的文字超过了 {{ limit }} 的上限，没有保存。</p>
<p>请返回上一页，把内容删减或拆分成几篇后再提交。</p>
{% endblock %}"""


class RejectNulMiddleware:
    """Answer 400 to a request whose path, query, cookies or headers hold NUL or a lone
    surrogate, or whose Content-Type header Django could not read (readable_content_type).

    Place it before the session middleware: the session key comes from a cookie and is looked
    up in the database. The form's fields are checked by ReadFormMiddleware, once the form has
    been read under its sender's limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if UNREADABLE_CONTENT_TYPE in request.META:
            raise BadRequest(f"Unreadable Content-Type: {request.META[UNREADABLE_CONTENT_TYPE]}")
        if carries_unstorable(request):
            # Django answers BadRequest with handler400 (templates/400.html), logged as a warning.
            raise BadRequest("NUL character or lone surrogate in the request")
        return self.get_response(request)


class ReadFormMiddleware:
    """Read a posted form under its sender's limit; refuse it when too large, unreadable or
    holding NUL or a lone surrogate.

    Place it after the authentication and OTP middleware (the limit depends on who sends the
    form) and before anything that reads request.POST (CSRF reads it in process_view, later).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            limit = form_limit(request)
            try:
                with granted(limit):
                    post = request.POST  # parsed here, once, under `limit`
            except UNREADABLE_FORM as error:
                # Django's own mark of a form it failed to read: whatever reads request.POST
                # from here on (a debug page, a middleware on the way out) finds it empty,
                # instead of parsing the body again and raising the same error again.
                request._mark_post_parse_error()
                # log_response marks the answer as logged: Django would log it again, once the
                # middleware has returned, without the request's id.
                if isinstance(error, RequestDataTooBig):
                    response = too_big_response(limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
                    log_response(
                        "Form over its limit: %s",
                        request.path,
                        response=response,
                        request=request,
                        logger=too_big_log,
                    )
                    return response
                response = HttpResponseBadRequest(loader.render_to_string("400.html"))
                log_response(
                    "Unreadable form: %s (%s: %s)",
                    request.path,
                    type(error).__name__,
                    str(error)[:200],
                    response=response,
                    request=request,
                )
                return response
            file_names = ((name, [f.name for f in files]) for name, files in request.FILES.lists())
            if _any_unstorable(post.lists()) or _any_unstorable(file_names):
                raise BadRequest("NUL character or lone surrogate in the form")
        return self.get_response(request)


def form_limit(request) -> int | None:
    """Return the larger limit for staff in the back office, or None for the strict one.

    The back office's own rule decides who is staff there (the admin site's has_permission:
    active staff, with the second factor where it is required).
    """
    if request.path_info.startswith(BACK_OFFICE_PREFIXES) and admin.site.has_permission(request):
        return settings.BACK_OFFICE_DATA_UPLOAD_MAX_MEMORY_SIZE
    return None


def too_big_response(limit) -> HttpResponseBadRequest:
    page = _too_big_page().render({"limit": filesizeformat(int(limit))})
    return HttpResponseBadRequest(page)


@cache
def _too_big_page():
    return engines["django"].from_string(TOO_BIG_PAGE)


def carries_unstorable(request) -> bool:
    """Return whether the path, query, cookies or headers of `request` hold NUL or a surrogate."""
    if UNSTORABLE.search(request.path):
        return True
    if _any_unstorable(request.GET.lists()) or _any_unstorable(
        (name, [value]) for name, value in request.COOKIES.items()
    ):
        return True
    headers = ((name, [value]) for name, value in request.META.items() if name.startswith("HTTP_"))
    return _any_unstorable(headers)


def _any_unstorable(items) -> bool:
    return any(
        UNSTORABLE.search(name) or any(isinstance(v, str) and UNSTORABLE.search(v) for v in values)
        for name, values in items
    )


def readable_content_type(application):
    """Wrap a WSGI application so that any Content-Type header reaches Django's middleware.

    Django reads the header while it builds the request, before the first middleware, and two
    kinds of header make that raise: an RFC 2231 parameter naming an unknown charset
    (`charset*=nonsense''x`: ValueError), and a charset Django accepts but cannot decode the
    query string with (`charset=base64`: LookupError; idna, undefined: UnicodeError; punycode:
    TooManyFieldsSent), as setting the request's encoding decodes the query at once. Such an
    error would reach the WSGI server: a bare 500 and a plain-text traceback without request id.
    Such a header is replaced by one Django does not parse, and RejectNulMiddleware answers the
    request with the 400 page.
    """

    def guarded(environ, start_response):
        error = content_type_error(environ)
        if error:
            environ[UNREADABLE_CONTENT_TYPE] = error
            environ["CONTENT_TYPE"] = "application/octet-stream"
        return application(environ, start_response)

    return guarded


def content_type_error(environ) -> str | None:
    """Why Django could not build a request from `environ`'s Content-Type, or None."""
    header = environ.get("CONTENT_TYPE", "")
    if ";" not in header:  # Django's own fast path: no parameters, nothing to decode
        return None
    try:
        _, params = parse_header_parameters(header)
        charset = params.get("charset")
        if charset:
            try:
                codecs.lookup(charset)
            except LookupError:
                return None  # an unknown name: Django ignores it and reads UTF-8
            # What Django does with the charset while building the request (request.encoding).
            QueryDict(get_bytes_from_wsgi(environ, "QUERY_STRING", ""), encoding=charset)
    except (ValueError, LookupError, SuspiciousOperation) as error:
        return f"{type(error).__name__}: {error}"[:200]
    return None
