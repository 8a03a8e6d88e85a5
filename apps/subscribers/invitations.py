"""Invitation e-mails: a one-time link with which a new subscriber chooses a password."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def invitation_link(user, *, base_url) -> str:
    """Return the set-password link; it stops working once used or after PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{base_url.rstrip('/')}{path}"


def send_invitation(user, *, base_url) -> None:
    context = {
        "user": user,
        "link": invitation_link(user, base_url=base_url),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        "publication_name": settings.PUBLICATION_NAME,
        "publication_publisher": settings.PUBLICATION_PUBLISHER,
        "contact": settings.SUBSCRIPTION_CONTACT,
    }
    send_mail(
        subject=f"《{settings.PUBLICATION_NAME}》阅读账号开通通知",
        message=render_to_string("subscribers/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
