"""Structured logs on stdout: one JSON object per line, each tagged with its request's id.

Every request gets an id (the proxy's X-Request-ID when it sends a sane one, else a new one),
returned in the response's X-Request-ID header and attached to every log line written while
the request runs, so an error can be followed from nginx to the traceback. One line per
request says what was asked and how it ended, even when answering it failed. Nothing secret is
written: no query strings (searches are private, links may carry tokens), no password-reset
tokens in paths, no cookies, no form bodies.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.core.signals import got_request_exception
from django.http import HttpResponseServerError
from django.utils import timezone
from django.utils.functional import empty

request_id: ContextVar[str] = ContextVar("request_id", default="-")
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Paths that carry a secret: password reset and set-password links, calendar feeds' tokens.
SECRET_PATHS = [
    (re.compile(r"(/reset/)[^/\s]+/[^/\s]+"), r"\1…/…"),
    (re.compile(r"(/calendar/)[^/\s]+(\.ics)"), r"\1…\2"),
]

access = logging.getLogger("bulletin.requests")
errors = logging.getLogger("django.request")

# Written out, not a template: this page is for when rendering the error pages failed.
UNANSWERED_PAGE = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
    "<title>服务器出错 · 许昌竞争情报快递</title></head>"
    "<body><h1>服务器暂时出错</h1><p>我们已记录这个问题，请稍后刷新重试。</p>"
    '<p><a href="/">返回首页</a></p></body></html>'
)


def redact(text: str) -> str:
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RequestLogMiddleware:
    """Give each request an id and write one log line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        token = request_id.set(incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex)
        request.request_id = request_id.get()
        started = time.monotonic()
        try:
            try:
                response = self.get_response(request)
            except Exception:
                response = unanswered(request)
            response["X-Request-ID"] = request_id.get()
            access.info(
                "%s %s %s",
                request.method,
                redact(request.path),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": redact(request.path),
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id.reset(token)


def unanswered(request):
    """Log an exception that Django's error pages failed to answer, and answer 500.

    Django turns what a view or a middleware raises into the error pages (config/views.py);
    what escapes them too (an error page that raised in turn) would reach the WSGI server,
    which prints a plain-text traceback without request id and sends its own bare 500.
    """
    errors.exception("Unanswered error: %s %s", request.method, redact(request.path))
    # As Django does for an exception it answers: the test client re-raises it from this.
    got_request_exception.send(sender=None, request=request)
    return HttpResponseServerError(UNANSWERED_PAGE)


def _user_id(request):
    # Only if the request already loaded its user: the log must not cost a query.
    wrapped = getattr(getattr(request, "user", None), "_wrapped", empty)
    return None if wrapped is empty else getattr(wrapped, "pk", None)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        if record.request_id == "-":
            # Django logs an error answer it had not logged yet after the middleware returned
            # (BaseHandler.get_response), with the request in the record: its id is kept there.
            record.request_id = getattr(getattr(record, "request", None), "request_id", "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the extra fields a log call passes are kept."""

    STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "request_id",
        "request",  # django.request's HttpRequest: its repr may hold a query string
    }

    def format(self, record):
        entry = {
            "time": timezone.now().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in self.STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | str | None) else str(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
