from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.issues.models import Issue
from apps.subscribers.models import Subscriber


class Delivery(models.Model):
    """One issue's e-mail to one subscriber: queued when the issue goes live, sent once.

    The unique pair is what makes a double publish, a retried task or two racing workers send
    one e-mail: a worker sends only the rows it claimed (apps.notifications.deliveries).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        CANCELLED = "cancelled", "未发送"

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="deliveries", verbose_name="期刊"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", verbose_name="订户"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    claimed_by = models.CharField("发送批次", max_length=32, blank=True, editable=False)
    # The worker process sending it (WorkerHeartbeat.worker_id): when its heartbeat stops, the
    # row is taken back at once instead of after STALE_AFTER.
    claimed_worker = models.CharField("发送进程", max_length=64, blank=True, editable=False)
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    email = models.EmailField("收件地址", blank=True)
    last_error = models.TextField("最近一次错误", blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "期刊邮件"
        verbose_name_plural = "期刊邮件"
        ordering = ["issue", "subscriber"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "subscriber"], name="notifications_one_mail_per_issue"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.issue} → {self.subscriber}"


class ExpiryReminder(models.Model):
    """A subscription-end reminder that went out, so that each is sent once.

    Keyed by the end date: after an extension, the new end date gets its own reminders.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="+", verbose_name="订户"
    )
    valid_until = models.DateField("订阅截止日期")
    days_before = models.PositiveSmallIntegerField("提前天数")
    sent_at = models.DateTimeField("发送时间", default=timezone.now)

    class Meta:
        verbose_name = "到期提醒"
        verbose_name_plural = "到期提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "valid_until", "days_before"],
                name="notifications_one_reminder_each",
            ),
        ]

    def __str__(self):
        return f"{self.subscriber}：提前{self.days_before}天"


class DeadlineReminder(models.Model):
    """A 截稿 reminder that went out to an editor with drafts in an issue, so that each is sent
    once (apps.notifications.office.send_deadline_reminders).

    Keyed by the deadline: when the issue's 截稿日期 moves, the new date gets its own reminder.
    """

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="+", verbose_name="期刊"
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="编辑"
    )
    deadline = models.DateField("截稿日期")
    sent_at = models.DateTimeField("发送时间", default=timezone.now)

    class Meta:
        verbose_name = "截稿提醒"
        verbose_name_plural = "截稿提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "editor", "deadline"],
                name="notifications_one_deadline_reminder_each",
            ),
        ]

    def __str__(self):
        return f"{self.issue}：{self.editor}（{self.deadline:%Y-%m-%d}）"


class Unsubscribe(models.Model):
    """A reader turned the issue e-mail off with the link in a message.

    Also what makes each link work once: the link's signature covers how many of these the
    subscriber has, so using one ends every link sent before it.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="unsubscribes", verbose_name="订户"
    )
    at = models.DateTimeField("退订时间", default=timezone.now)

    class Meta:
        verbose_name = "邮件退订"
        verbose_name_plural = "邮件退订"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.subscriber}：{self.at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """A worker process saying it is alive, every few seconds (apps.notifications.heartbeat).

    Health checks read it, and the mail a worker had claimed goes back to the queue as soon as
    its heartbeat stops.
    """

    worker_id = models.CharField("进程标识", max_length=64, primary_key=True)
    host = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间", default=timezone.now)
    beat_at = models.DateTimeField("最近心跳", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = "后台进程心跳"
        ordering = ["-beat_at"]

    def __str__(self):
        return f"{self.host}:{self.pid}"
