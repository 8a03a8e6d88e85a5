from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.images import upload_path
from apps.core.models import EditTracked
from apps.core.richtext import RichTextField
from apps.issues.querysets import IssueQuerySet


def cover_upload_path(issue, filename):
    return upload_path("covers", filename)


class Issue(EditTracked):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REVIEW = "review", "待审核"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    year = models.PositiveSmallIntegerField(
        "年份", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    number = models.PositiveSmallIntegerField(
        "期号", validators=[MinValueValidator(1), MaxValueValidator(99)], help_text="当年的第几期。"
    )
    total_number = models.PositiveIntegerField(
        "总期号",
        null=True,
        blank=True,
        unique=True,
        error_messages={"unique": "已有期刊使用该总期号。"},
        help_text="总第几期；留空则在上线时按上线先后自动编号。",
    )
    title = models.CharField("本期主题", max_length=200, blank=True)
    editor_note = RichTextField("编者的话", blank=True)
    cover = models.ImageField("封面图片", upload_to=cover_upload_path, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "发布时间", null=True, blank=True, help_text="设为将来的时间即为定时发布。"
    )
    # The editorial calendar (apps.workflow.calendar): what is planned, and when articles are due.
    planned_date = models.DateField(
        "计划出刊日期", null=True, blank=True, help_text="编辑日历按此日期显示尚未发布的期刊。"
    )
    theme = models.CharField("专题", max_length=200, blank=True)
    deadline = models.DateField(
        "截稿日期",
        null=True,
        blank=True,
        help_text="本期文章的截稿日期；提前两天提醒仍有草稿的编辑。",
    )
    # Who signed (签发) the content the issue was published with (apps.workflow.signing);
    # the masthead names them.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="签发人",
    )
    signed_at = models.DateTimeField("签发时间", null=True, blank=True, editable=False)
    went_live_at = models.DateTimeField(
        "上线处理时间",
        null=True,
        blank=True,
        editable=False,
        help_text="期刊对读者可见后，系统记录其上线的时间。",
    )

    objects = IssueQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="期刊历史版本",
        verbose_name_plural="期刊历史版本",
        excluded_fields=["updated_at"],
    )

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = "期刊"
        verbose_name_plural = "期刊"
        permissions = [("review_issue", "审核并发布期刊（退回、发布、定时发布、撤回、重新打开）")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "number"],
                name="issues_issue_unique_year_number",
                violation_error_message="该年份已有相同期号的期刊。",
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        label = f"{self.year}年第{self.number}期"
        if self.total_number:
            label += f"（总第{self.total_number}期）"
        return label

    def get_absolute_url(self):
        return reverse("reader:issue", kwargs={"year": self.year, "number": self.number})

    @property
    def is_scheduled(self):
        """Published for a time still to come."""
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @classmethod
    def live_q(cls, prefix: str = "") -> models.Q:
        """Return the condition for an issue readers see: published, and its time has come.

        A future `published_at` is how an issue is scheduled, so no job has to run for it to
        appear. `prefix` reaches an issue through a relation (`"issue__"`).
        """
        return models.Q(
            **{
                f"{prefix}status": cls.Status.PUBLISHED,
                f"{prefix}published_at__lte": timezone.now(),
            }
        )
