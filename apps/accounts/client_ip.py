"""The address a request comes from, as login throttling and logs see it."""

from django.conf import settings


def client_ip(request) -> str:
    """Return the client's IP address.

    Behind a reverse proxy the direct peer is the proxy, so the proxy's header named by
    CLIENT_IP_HEADER (e.g. HTTP_X_REAL_IP) is used; the proxy must overwrite, never pass on, a
    header of that name sent by the client.
    """
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        # X-Forwarded-For style lists: the proxy appends the peer it saw last.
        address = forwarded.split(",")[-1].strip()
        if address:
            return address
    return request.META.get("REMOTE_ADDR", "")
