from django.conf import settings
from django.db import models

from apps.articles.models import Article
from apps.core.via import Source
from apps.issues.models import Issue


class Reading(models.Model):
    """A subscriber's first and last opening of an issue (article empty) or of an article."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="readings",
        verbose_name="读者",
    )
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="readings", verbose_name="期刊"
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="readings",
        verbose_name="文章",
    )
    first_read_at = models.DateTimeField("首次阅读")
    last_read_at = models.DateTimeField("最近阅读", db_index=True)
    count = models.PositiveIntegerField("阅读次数", default=1)
    # The first channel whose link brought the reader to this page (apps.core.via); blank if
    # none ever did. Later openings through another channel do not change it.
    channel = models.CharField(
        "来源渠道", max_length=20, choices=Source.choices, blank=True, default=Source.DIRECT
    )
    # The push channel (apps.push.models.Channel) of a group card's link. An id, not a foreign
    # key: readership and push are independent apps (pyproject.toml's layers), and a reading
    # stays when its channel is deleted.
    push_channel_id = models.PositiveIntegerField("推送渠道编号", null=True, blank=True)

    class Meta:
        # The table keeps the name it had when readership was part of the subscribers app.
        db_table = "subscribers_reading"
        ordering = ["-last_read_at"]
        verbose_name = "阅读记录"
        verbose_name_plural = "阅读记录"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "issue"],
                condition=models.Q(article__isnull=True),
                name="subscribers_reading_one_row_per_issue",
            ),
            models.UniqueConstraint(
                fields=["user", "article"],
                condition=models.Q(article__isnull=False),
                name="subscribers_reading_one_row_per_article",
            ),
        ]
        indexes = [
            # A push channel's readers per issue (its admin page); most readings have none.
            models.Index(
                fields=["push_channel_id", "issue"],
                condition=models.Q(push_channel_id__isnull=False),
                name="reading_push_channel_issue",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.article or self.issue}"
