from django.conf import settings
from django.db import models
from django.utils import timezone


class Subscriber(models.Model):
    """A reader's subscription: who they are and the period in which they may read."""

    class Kind(models.TextChoices):
        LEADERSHIP = "leadership", "领导"
        ENTERPRISE = "enterprise", "企业"
        OTHER = "other", "其他"

    class Region(models.TextChoices):
        WEIDU = "weidu", "魏都区"
        JIANAN = "jianan", "建安区"
        DONGCHENG = "dongcheng", "东城区"
        SHIFAN = "shifan", "示范区"
        YUZHOU = "yuzhou", "禹州市"
        CHANGGE = "changge", "长葛市"
        YANLING = "yanling", "鄢陵县"
        XIANGCHENG = "xiangcheng", "襄城县"
        CITY = "city", "市直"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriber",
        verbose_name="用户",
    )
    kind = models.CharField("订户类型", max_length=20, choices=Kind.choices)
    organization = models.CharField("单位", max_length=100)
    position = models.CharField("职务", max_length=100, blank=True)
    region = models.CharField("所属地区", max_length=20, choices=Region.choices)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    industries = models.ManyToManyField(
        "articles.Industry", blank=True, related_name="followers", verbose_name="关注产业"
    )
    valid_from = models.DateField("订阅开始日期", default=timezone.localdate)
    valid_until = models.DateField("订阅截止日期")
    notify_by_email = models.BooleanField("新一期发布时邮件通知", default=True)
    notes = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["organization", "user__username"]
        verbose_name = "订户"
        verbose_name_plural = "订户"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="subscribers_subscriber_period_ordered",
                violation_error_message="订阅截止日期不能早于开始日期。",
            ),
        ]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.organization}）"

    def is_current(self, today=None):
        """Return whether `today` (default: the local date) lies in the subscription period."""
        today = today or timezone.localdate()
        return self.valid_from <= today <= self.valid_until


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
        "issues.Issue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="相关期刊",
    )
    article = models.ForeignKey(
        "articles.Article",
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
        ordering = ["-created_at"]
        verbose_name = "意见和建议"
        verbose_name_plural = "意见和建议"

    def __str__(self):
        return f"{self.author}：{self.message[:30]}"


class Reading(models.Model):
    """A subscriber's first and last opening of an issue (article empty) or of an article."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="readings",
        verbose_name="读者",
    )
    issue = models.ForeignKey(
        "issues.Issue", on_delete=models.CASCADE, related_name="readings", verbose_name="期刊"
    )
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="readings",
        verbose_name="文章",
    )
    first_read_at = models.DateTimeField("首次阅读")
    last_read_at = models.DateTimeField("最近阅读", db_index=True)
    count = models.PositiveIntegerField("阅读次数", default=1)

    class Meta:
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

    def __str__(self):
        return f"{self.user} · {self.article or self.issue}"
