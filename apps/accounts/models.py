from axes.models import AccessAttempt
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

mobile_validator = RegexValidator(r"^1\d{10}$", "请输入 11 位手机号码，例如 13800000000。")


class User(AbstractUser):
    """Staff and subscribers alike; a subscriber signs in with username, e-mail or mobile."""

    email = models.EmailField("电子邮箱", blank=True)
    mobile = models.CharField(
        "手机号码",
        max_length=11,
        blank=True,
        validators=[mobile_validator],
        help_text="可用于登录；11 位中国大陆手机号码。",
    )

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            # Both are login names, so each may belong to one user only (blank is "none").
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_unique_email",
                violation_error_message="该电子邮箱已被其他用户使用。",
            ),
            models.UniqueConstraint(
                "mobile",
                condition=~models.Q(mobile=""),
                name="accounts_user_unique_mobile",
                violation_error_message="该手机号码已被其他用户使用。",
            ),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name}（{self.username}）" if full_name else self.username

    def get_full_name(self):
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()


class LoginLockout(AccessAttempt):
    """django-axes' record of failed logins for one login name and address, in the back office.

    Deleting it lifts the lock. Subscriber administrators see and lift their subscribers'
    locks; only superusers see staff accounts' (accounts.admin).
    """

    class Meta:
        proxy = True
        verbose_name = "登录锁定"
        verbose_name_plural = "登录锁定"

    def __str__(self):
        # axes' own reads "Attempted Access: …", in the admin's titles and breadcrumbs.
        return f"{self.username}（{self.ip_address}）"
