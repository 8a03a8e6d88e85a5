from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# WeCom's documented rule for a member's UserID: 1 to 64 characters of letters, digits and
# "_-@.", the first a letter or a digit. WeCom ignores case when it checks them for uniqueness.
wecom_userid_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}\Z",
    "企业微信账号只能由字母、数字和 _ - @ . 组成，以字母或数字开头，最长 64 个字符。",
)
WECOM_USERID_TAKEN = "该企业微信账号已绑定其他订户。"


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
    # Who this reader is in the institute's WeCom: a tap on a bulletin link inside WeCom signs
    # them in (apps.push.wecom_login). Whoever holds this id holds the subscription, so it is
    # set by the reader (after a password login) or by 订户管理, and unique, case ignored.
    wecom_userid = models.CharField(
        "企业微信账号",
        max_length=64,
        blank=True,
        validators=[wecom_userid_validator],
        help_text="企业微信管理后台「通讯录」中成员的账号。绑定后，订户在企业微信中打开快报链接"
        "即可直接阅读，无需输入密码。",
    )

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
            models.UniqueConstraint(
                Lower("wecom_userid"),
                condition=~models.Q(wecom_userid=""),
                name="subscribers_subscriber_wecom_userid_unique",
                violation_error_message=WECOM_USERID_TAKEN,
            ),
        ]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.organization}）"

    def is_current(self, today=None):
        """Return whether `today` (default: the local date) lies in the subscription period."""
        today = today or timezone.localdate()
        return self.valid_from <= today <= self.valid_until

    @classmethod
    def bound_to_wecom(cls, userid):
        """The subscriber whose WeCom id is `userid` (case ignored, as WeCom does), or None."""
        if not userid:
            return None
        # Lower(...) = lower: the form of the unique index, which serves the lookup.
        return (
            cls.objects.select_related("user")
            .annotate(wecom_lower=Lower("wecom_userid"))
            .filter(wecom_lower=userid.lower())
            .first()
        )

    @property
    def is_leadership(self):
        return self.kind == self.Kind.LEADERSHIP
