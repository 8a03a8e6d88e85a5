"""The 405 page: Django has no handler for it, and its HttpResponseNotAllowed has no body."""

from django.http import HttpResponseNotAllowed
from django.template import loader

# The admin's views answer any method as they answer GET (a PUT renders the change form), and
# its pages and scripts only ever send these.
ADMIN_PREFIX = "/admin/"
ADMIN_METHODS = ("GET", "HEAD", "POST")


class MethodNotAllowedPageMiddleware:
    """Give a 405 without a body templates/405.html, its status and Allow header kept; refuse
    in the admin the methods it never uses, so a PUT there is a 405 as on a reader page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(ADMIN_PREFIX) and request.method not in ADMIN_METHODS:
            response = HttpResponseNotAllowed(ADMIN_METHODS)
        else:
            response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            # Rendered without the request, as the 400 and 500 pages: nothing of it is needed.
            response.content = loader.render_to_string("405.html")
            response["Content-Type"] = "text/html; charset=utf-8"
            # Set by CommonMiddleware (inside this one) for the empty body.
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
