from django.conf import settings
from django.db import models

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
        "处理状态", max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
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
