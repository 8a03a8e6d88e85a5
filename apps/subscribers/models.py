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
    notify_by_email = models.BooleanField(
        "新一期发布时邮件通知",
        default=True,
        help_text="新一期发布时，把本期目录和您关注行业的文章发到您的邮箱。",
    )
    notes = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["organization", "user__username"]
        verbose_name = "订户"
        verbose_name_plural = "订户"
        # django-import-export's admin views check these (SubscriberAdmin); only 订户管理
        # holds them (migration 0003), so that no other staff role can read or rewrite
        # subscribers' contact details in bulk.
        permissions = [
            ("import_subscriber", "可以导入订户"),
            ("export_subscriber", "可以导出订户"),
        ]
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

    @property
    def is_leadership(self):
        return self.kind == self.Kind.LEADERSHIP
