"""Structured logs on stdout: one JSON object per line, each tagged with its request's id.

Every request gets an id (the proxy's X-Request-ID when it sends a sane one, else a new one),
returned in the response's X-Request-ID header and attached to every log line written while
the request runs, so an error can be followed from nginx to the traceback. One line per
request says what was asked and how it ended. Nothing secret is written: no query strings
(searches are private, links may carry tokens), no password-reset tokens in paths, no cookies,
no form bodies.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.utils import timezone
from django.utils.functional import empty

request_id: ContextVar[str] = ContextVar("request_id", default="-")
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Paths that carry a secret: password reset and set-password links.
SECRET_PATHS = [(re.compile(r"(/reset/)[^/\s]+/[^/\s]+"), r"\1…/…")]

access = logging.getLogger("bulletin.requests")


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
        started = time.monotonic()
        try:
            response = self.get_response(request)
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


def _user_id(request):
    # Only if the request already loaded its user: the log must not cost a query.
    wrapped = getattr(getattr(request, "user", None), "_wrapped", empty)
    return None if wrapped is empty else getattr(wrapped, "pk", None)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
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
