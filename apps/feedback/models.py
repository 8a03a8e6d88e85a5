from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue


class Feedback(models.Model):
    """A subscriber's message to the editors (意见和建议), optionally about an issue or article."""

    class Status(models.TextChoices):
        NEW = "new", "新"
        HANDLED = "handled", "已处理"

    MAX_LENGTH = 2000

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name="提交人",
    )
    issue = models.ForeignKey(
        Issue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="相关期刊",
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="相关文章",
    )
    message = models.TextField("内容", max_length=MAX_LENGTH)
    status = models.CharField(
        "处理状态",
        max_length=20,
        choices=Status.choices,
        default=Status.NEW,
        db_index=True,
        help_text="保存答复后自动标为“已处理”。",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
        verbose_name="处理人",
    )
    reply = models.TextField("答复", blank=True, help_text="订户可以在“意见和建议”页面看到答复。")
    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        # The table keeps the name it had when feedback was part of the subscribers app.
        db_table = "subscribers_feedback"
        ordering = ["-created_at"]
        verbose_name = "意见和建议"
        verbose_name_plural = "意见和建议"

    def __str__(self):
        return f"{self.author}：{self.message[:30]}"

    def save(self, *args, update_fields=None, **kwargs):
        self.settle_status()
        if update_fields is not None and {"reply", "status"} & set(update_fields):
            update_fields = {*update_fields, "status", "handled_at"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def settle_status(self):
        """Mark replied feedback handled, and keep handled_at to the handled state.

        In save(), so that a reply written anywhere (the admin, a shell, a script) is not left
        showing 新 to the subscriber who can read it.
        """
        if self.reply.strip() and self.status == self.Status.NEW:
            self.status = self.Status.HANDLED
        if self.status == self.Status.HANDLED:
            self.handled_at = self.handled_at or timezone.now()
        else:
            self.handled_at = None
