from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.richtext import RichTextField


class TransitionLog(models.Model):
    """One workflow step taken on an issue or an article: from, to, who, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name="对象类型")
    object_id = models.PositiveBigIntegerField("对象编号")
    subject = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("对象", max_length=200)
    transition = models.CharField("操作", max_length=30)
    transition_label = models.CharField("操作名称", max_length=30)
    from_status = models.CharField("原状态", max_length=20)
    to_status = models.CharField("新状态", max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="为空表示系统自动执行。",
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", db_index=True)
    comment = models.TextField("意见", blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "流程记录"
        verbose_name_plural = "流程记录"
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.object_repr}：{self.transition_label}"

    def status_label(self, status):
        return self.content_type.model_class().Status(status).label

    @property
    def from_label(self):
        return self.status_label(self.from_status)

    @property
    def to_label(self):
        return self.status_label(self.to_status)


class Comment(models.Model):
    """A staff member's remark on an article or an issue (批注), perhaps anchored to a passage
    (`quote`), perhaps a reply (`parent`). Back office only: no reader-facing output reads this
    table (apps.workflow.comments is its one writer)."""

    MAX_TEXT = 5000
    MAX_QUOTE = 1000

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="文章",
    )
    issue = models.ForeignKey(
        "issues.Issue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="期刊",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="作者"
    )
    text = models.TextField("批注内容")
    # The passage the comment is about, as the author selected it; empty for the whole object.
    quote = models.TextField("批注的原文", blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name="回复的批注",
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="提及的人"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="解决人",
    )
    history = HistoricalRecords(
        verbose_name="批注历史版本",
        verbose_name_plural="批注历史版本",
        excluded_fields=["updated_at"],
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "批注"
        verbose_name_plural = "批注"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(article__isnull=False, issue__isnull=True)
                    | models.Q(article__isnull=True, issue__isnull=False)
                ),
                name="workflow_comment_on_one_object",
                violation_error_message="批注必须属于一篇文章或一期期刊。",
            ),
        ]
        indexes = [
            models.Index(fields=["article", "created_at"]),
            models.Index(fields=["issue", "created_at"]),
        ]

    def __str__(self):
        text = self.text if len(self.text) <= 30 else f"{self.text[:30]}…"
        return f"{self.author}：{text}"

    @property
    def subject(self):
        return self.article if self.article_id else self.issue


class SignOff(models.Model):
    """The issuing leader's answer (签发 or 不予签发) on an issue's content, or on a proposed
    correction of a leadership-only article. Valid while the content's fingerprint still
    equals `fingerprint` (apps.workflow.signing): any later change voids it by itself."""

    class Decision(models.TextChoices):
        SIGNED = "signed", "签发"
        REFUSED = "refused", "不予签发"

    issue = models.ForeignKey(
        "issues.Issue", on_delete=models.CASCADE, related_name="+", verbose_name="期刊"
    )
    correction = models.ForeignKey(
        "workflow.CorrectionProposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_offs",
        verbose_name="更正",
    )
    decision = models.CharField("决定", max_length=10, choices=Decision.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="签发人"
    )
    at = models.DateTimeField("时间", db_index=True)
    reason = models.TextField("理由", blank=True)
    fingerprint = models.CharField("内容指纹", max_length=64)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "签发记录"
        verbose_name_plural = "签发记录"
        permissions = [("sign_issue", "签发期刊（及领导参阅文章的更正）")]
        indexes = [models.Index(fields=["issue", "-at"])]

    def __str__(self):
        return f"{self.issue}：{self.get_decision_display()}（{self.signer}）"


class CorrectionProposal(models.Model):
    """A correction an editor proposes for a published article (提出更正): the new text kept
    beside the live one until a reviewer approves it (通过更正) or returns it (退回更正)."""

    class Status(models.TextChoices):
        OPEN = "open", "待审核"
        APPROVED = "approved", "已通过"
        RETURNED = "returned", "已退回"
        WITHDRAWN = "withdrawn", "已撤销"

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="文章",
    )
    title = models.CharField("标题", max_length=200)
    subtitle = models.CharField("副标题", max_length=200, blank=True)
    summary = models.TextField("摘要", blank=True)
    body = RichTextField("正文")
    note = models.CharField("更正说明", max_length=200)
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # The live article's version the proposal was written against: approving over a newer
    # live text would silently undo that change.
    base_version = models.PositiveIntegerField("依据的版本")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="提出人"
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    reason = models.TextField("退回理由", blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = "更正申请"
        verbose_name_plural = "更正申请"
        permissions = [("review_correctionproposal", "审核更正申请（通过、退回）")]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=models.Q(status="open"),
                name="workflow_one_open_correction_per_article",
                violation_error_message="这篇文章已有一份待审核的更正。",
            ),
        ]

    def __str__(self):
        return f"《{self.article.title}》的更正：{self.note}"


class CalendarFeed(models.Model):
    """A staff member's private iCalendar address (/calendar/<token>.ics). Only the token's
    digest is kept: the address is shown once, when it is made; a new one revokes the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name="用户",
    )
    token_digest = models.CharField("令牌摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "日历订阅"
        verbose_name_plural = "日历订阅"

    def __str__(self):
        return f"{self.user} 的日历订阅"
