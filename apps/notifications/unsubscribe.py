"""One-click unsubscribe links: signed, expiring, tied to one subscriber and one address.

The token carries the subscriber's id and a keyed digest of their address and their current
choice. Unsubscribing changes the choice, so a used link stops working; a changed address
makes old links useless; a forged or edited token fails the signature. No login is needed:
the link itself is the proof that the reader holds the mailbox.
"""

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.subscribers.models import Subscriber

SALT = "apps.notifications.unsubscribe"
MAX_AGE_DAYS = 90


def make_token(subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "d": _digest(subscriber)}, salt=SALT)


def subscriber_for(token: str):
    """Return the subscriber the token unsubscribes, or None when it is forged, expired,
    already used, or no longer matches the account."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
        pk, digest = int(data["s"]), str(data["d"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    subscriber = Subscriber.objects.select_related("user").filter(pk=pk).first()
    if subscriber is None or not constant_time_compare(digest, _digest(subscriber)):
        return None
    return subscriber


def _digest(subscriber) -> str:
    state = f"{subscriber.pk}|{subscriber.user.email.lower()}|{int(subscriber.notify_by_email)}"
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:24]
