import json

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse

from apps.notifications import heartbeat


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        connection.close()  # the next request gets a fresh connection
        return "unavailable"
    return "ok"


def _cache():
    # The cache backend turns an unreachable Redis into misses (config/cache.py); a value
    # written and read back tells whether it is really there.
    try:
        cache.set("healthz", "ok", timeout=10)
        return "ok" if cache.get("healthz") == "ok" else "unavailable"
    except Exception:  # any failure of the cache is "unavailable" here
        return "unavailable"


def _worker():
    # "late" also when the database cannot say: no heartbeat can be seen.
    try:
        return "late" if heartbeat.is_late(heartbeat.newest_beat()) else "ok"
    except DatabaseError:
        connection.close()
        return "late"


class HealthCheckMiddleware:
    """Answer /healthz before host validation, HTTPS redirects and sessions.

    Load balancers and container health checks call the app by its internal address, which is
    not (and should not be) in ALLOWED_HOSTS. The body names each dependency's state, and
    whether a worker's heartbeat is recent (apps.notifications.heartbeat); the status is 503
    only when the database is unreachable, since without the cache the site still serves
    every page, and without a worker it serves them too (mail and go-live wait).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            state = {"database": _database(), "cache": _cache()}
            state["worker"] = _worker() if state["database"] == "ok" else "late"
            status = 200 if state["database"] == "ok" else 503
            return HttpResponse(json.dumps(state), content_type="application/json", status=status)
        return self.get_response(request)
