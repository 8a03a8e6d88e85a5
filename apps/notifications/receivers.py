"""Mail that follows a change however it is made: the admin, a shell, an import."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from apps.feedback.models import Feedback
from apps.notifications import office


@receiver(pre_save, sender=Feedback)
def remember_reply(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._reply_before = ""
        return
    stored = Feedback.objects.filter(pk=instance.pk).values_list("reply", flat=True).first()
    instance._reply_before = stored or ""


@receiver(post_save, sender=Feedback)
def mail_new_reply(sender, instance, raw=False, **kwargs):
    """A new or changed reply is mailed to the subscriber who wrote the feedback."""
    if raw:
        return
    reply = instance.reply.strip()
    if reply and reply != getattr(instance, "_reply_before", "").strip():
        office.feedback_replied(instance)
