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
"""

import logging
from functools import cache

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpResponseBadRequest
from django.template import engines
from django.template.defaultfilters import filesizeformat

from config.body_limit import granted
from config.security import BACK_OFFICE_PREFIXES

NUL = "\x00"

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
    """Answer 400 to a request whose path, query, cookies or headers hold NUL.

    Place it before the session middleware: the session key comes from a cookie and is looked
    up in the database. The form's fields are checked by ReadFormMiddleware, once the form has
    been read under its sender's limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            # Django answers BadRequest with handler400 (templates/400.html), logged as a warning.
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


class ReadFormMiddleware:
    """Read a posted form under its sender's limit; refuse it when too large or holding NUL.

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
            except RequestDataTooBig:
                too_big_log.warning("Form over its limit: %s", request.path)
                return too_big_response(limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            if _any_nul(post.lists()):
                raise BadRequest("NUL character in the form")
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


def carries_nul(request) -> bool:
    """Return whether the path, query, cookies or headers of `request` hold NUL."""
    if NUL in request.path:
        return True
    if _any_nul(request.GET.lists()) or _any_nul(
        (name, [value]) for name, value in request.COOKIES.items()
    ):
        return True
    headers = ((name, [value]) for name, value in request.META.items() if name.startswith("HTTP_"))
    return _any_nul(headers)


def _any_nul(items) -> bool:
    return any(
        NUL in name or any(isinstance(v, str) and NUL in v for v in values)
        for name, values in items
    )
