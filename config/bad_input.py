"""Refuse, at the door, requests carrying a NUL character.

PostgreSQL cannot hold NUL ("\\x00") in text: psycopg2 refuses any query that carries one with
a ValueError, so a NUL in an admin list filter, a search box, a workflow comment, a login name
or a session cookie became an HTTP 500 wherever that value reached a query. No address, form,
cookie or header the site hands out contains one, so the request is answered with the site's
400 page (templates/400.html) before any code reads it, instead of each query needing a guard.
"""

from django.core.exceptions import BadRequest

NUL = "\x00"

# Bodies Django parses into request.POST; uploaded files (images, spreadsheets) are binary and
# are not looked at: only the form's text fields are.
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class RejectNulMiddleware:
    """Answer 400 to a request whose path, query, form fields, cookies or headers hold NUL.

    Place it before the session middleware: the session key comes from a cookie and is looked
    up in the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            # Django answers BadRequest with handler400 (templates/400.html), logged as a warning.
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def carries_nul(request) -> bool:
    """Return whether any text of `request` the application could query with holds NUL."""
    if NUL in request.path:
        return True
    if _any_nul(request.GET.lists()) or _any_nul(
        (name, [value]) for name, value in request.COOKIES.items()
    ):
        return True
    headers = ((name, [value]) for name, value in request.META.items() if name.startswith("HTTP_"))
    if _any_nul(headers):
        return True
    return (
        request.method == "POST"
        and request.content_type in FORM_CONTENT_TYPES
        and _any_nul(request.POST.lists())
    )


def _any_nul(items) -> bool:
    return any(
        NUL in name or any(isinstance(v, str) and NUL in v for v in values)
        for name, values in items
    )
