"""One-click unsubscribe links: signed, expiring, tied to one subscriber and one address.

The token carries the subscriber's id and a keyed digest of their address and of how many times
they unsubscribed by link. Unsubscribing adds one, so a used link, and every link sent before
it, stops working; a changed address makes old links useless; a forged or edited token fails
the signature. No login is needed: the link itself is the proof that the reader holds the
mailbox.
"""

from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.notifications.models import Unsubscribe
from apps.subscribers.models import Subscriber

SALT = "apps.notifications.unsubscribe"
MAX_AGE_DAYS = 90


def make_token(subscriber, *, used: int) -> str:
    """The link's token; `used` is how many times the subscriber unsubscribed by link."""
    return signing.dumps({"s": subscriber.pk, "d": _digest(subscriber, used)}, salt=SALT)


def subscriber_for(token: str):
    """Return the subscriber the token unsubscribes, or None when it is forged, expired,
    already used, or no longer matches the account."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(data, dict) and type(data.get("s")) is int and type(data.get("d")) is str):
        return None
    subscriber = Subscriber.objects.select_related("user").filter(pk=data["s"]).first()
    if subscriber is None:
        return None
    used = Unsubscribe.objects.filter(subscriber=subscriber).count()
    if not constant_time_compare(data["d"], _digest(subscriber, used)):
        return None
    return subscriber


def unsubscribe(subscriber) -> None:
    with transaction.atomic():
        Unsubscribe.objects.create(subscriber=subscriber)
        subscriber.notify_by_email = False
        subscriber.save(update_fields=["notify_by_email"])


def _digest(subscriber, used) -> str:
    state = f"{subscriber.pk}|{subscriber.user.email.lower()}|{used}"
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:24]
