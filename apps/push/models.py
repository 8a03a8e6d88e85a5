"""Work groups an issue is announced in (WeCom, DingTalk and Feishu robots), and each
announcement's record: one per issue and channel, like the e-mail deliveries."""

from django.db import models
from django.utils import timezone

from apps.articles.models import Industry
from apps.issues.models import Issue


class Channel(models.Model):
    """One group robot: where it is, who is in the group, and whether it gets issues."""

    class Kind(models.TextChoices):
        WECOM = "wecom", "企业微信群机器人"
        DINGTALK = "dingtalk", "钉钉群机器人"
        FEISHU = "feishu", "飞书群机器人"

    class Audience(models.TextChoices):
        LEADERSHIP = "leadership", "领导"
        ENTERPRISE = "enterprise", "企业"
        ALL = "all", "全部"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    webhook_url = models.CharField(
        "Webhook 地址",
        max_length=500,
        help_text="机器人设置页显示的完整 Webhook 地址；保存后只显示密钥的后 4 位。",
    )
    secret = models.CharField(
        "签名密钥",
        max_length=200,
        blank=True,
        help_text="钉钉「加签」或飞书「签名校验」的密钥；企业微信无需填写。保存后不再显示。",
    )
    audience = models.CharField(
        "群成员",
        max_length=20,
        choices=Audience.choices,
        help_text="「领导」群只收到期刊名称和链接；「企业」和「全部」群还会收到所有订户都可阅读的文章标题。",
    )
    industries = models.ManyToManyField(
        Industry,
        blank=True,
        related_name="push_channels",
        verbose_name="限定产业",
        help_text="留空则推送每一期；选定后只推送含这些产业文章的期刊，并只列出这些产业的标题。",
    )
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "推送渠道"
        verbose_name_plural = "推送渠道"

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"


class PushDelivery(models.Model):
    """An issue's card for one channel: queued when the issue goes live, sent once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "待推送"
        SENDING = "sending", "推送中"
        SENT = "sent", "已推送"
        FAILED = "failed", "推送失败"
        CANCELLED = "cancelled", "未推送"

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="push_deliveries", verbose_name="期刊"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="deliveries", verbose_name="推送渠道"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次推送时间", default=timezone.now)
    claimed_at = models.DateTimeField("开始推送时间", null=True, blank=True)
    # Set just before the request leaves: a row left "sending" with it may have reached the
    # group (the worker died waiting for the answer), one without it has not.
    posted_at = models.DateTimeField("发出请求时间", null=True, blank=True)
    last_error = models.TextField("最近一次错误", blank=True)
    code = models.CharField("返回代码", max_length=40, blank=True)
    sent_at = models.DateTimeField("推送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "channel"], name="push_pushdelivery_unique_issue_channel"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.issue} → {self.channel}"
