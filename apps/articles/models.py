from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.articles.querysets import ArticleQuerySet
from apps.core.models import EditTracked
from apps.core.richtext import RichTextField
from apps.issues.models import Issue


class IndustryGroup(models.Model):
    """One of the three groups of the city's "6+3+3" industries."""

    name = models.CharField("名称", max_length=50, unique=True)
    slug = models.SlugField("网址标识", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "产业类别"
        verbose_name_plural = "产业类别"

    def __str__(self):
        return self.name


class Industry(models.Model):
    group = models.ForeignKey(
        IndustryGroup, on_delete=models.PROTECT, related_name="industries", verbose_name="类别"
    )
    name = models.CharField("名称", max_length=50, unique=True)
    slug = models.SlugField("网址标识", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["group__order", "order", "pk"]
        verbose_name = "产业"
        verbose_name_plural = "产业"

    def __str__(self):
        return self.name


class Section(models.Model):
    """A heading of the bulletin under which articles are grouped (●行业趋势 …)."""

    name = models.CharField("名称", max_length=50, unique=True)
    slug = models.SlugField("网址标识", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的栏目排在前面。")
    description = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "栏目"
        verbose_name_plural = "栏目"

    def __str__(self):
        return self.name


class Article(EditTracked):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REVIEW = "review", "待审核"
        APPROVED = "approved", "已审核"
        PUBLISHED = "published", "已发布"

    class Visibility(models.TextChoices):
        ALL = "all", "全部订户"
        LEADERSHIP = "leadership", "仅限领导"

    issue = models.ForeignKey(
        Issue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="所属期次",
        help_text="尚未编入期次的稿件可以留空。",
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name="栏目"
    )
    position = models.PositiveSmallIntegerField(
        "栏目内序号", default=1, help_text="同一期同一栏目内的排列顺序，从 1 开始。"
    )
    title = models.CharField("标题", max_length=200)
    subtitle = models.CharField("副标题", max_length=200, blank=True)
    source = models.CharField("来源", max_length=100, blank=True, help_text="例如：科技日报")
    author = models.CharField("作者", max_length=100, blank=True)
    summary = models.TextField("摘要", blank=True, help_text="显示在目录和搜索结果中，一两句话。")
    body = RichTextField("正文")
    industries = models.ManyToManyField(
        Industry, blank=True, related_name="articles", verbose_name="相关产业"
    )
    visibility = models.CharField(
        "阅读范围", max_length=20, choices=Visibility.choices, default=Visibility.ALL
    )
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="文章历史版本",
        verbose_name_plural="文章历史版本",
        m2m_fields=[industries],
        excluded_fields=["updated_at"],
    )

    class Meta:
        ordering = ["issue", "section__order", "position", "pk"]
        verbose_name = "文章"
        verbose_name_plural = "文章"
        permissions = [("review_article", "审核文章（通过、退回、重新打开）")]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "section", "position"],
                name="articles_article_unique_position",
                violation_error_message="本期该栏目中已有相同序号的文章，请换一个序号。",
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1),
                name="articles_article_position_positive",
                violation_error_message="序号从 1 开始。",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reader:article", args=[self.pk])

    @property
    def is_leadership_only(self):
        return self.visibility == self.Visibility.LEADERSHIP


class IssueSection(models.Model):
    """The place of a section in one issue, where the issue's editor arranged it.

    An issue without these rows shows its sections in their usual order (`Section.order`);
    with them, a special issue can lead with any section. The reader pages, print and PDF all
    take their order from `ArticleQuerySet.for_contents`.
    """

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="section_places", verbose_name="期刊"
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="+", verbose_name="栏目"
    )
    order = models.PositiveSmallIntegerField("本期排序")

    class Meta:
        verbose_name = "本期栏目顺序"
        verbose_name_plural = "本期栏目顺序"
        ordering = ["issue", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "section"], name="articles_issuesection_unique_section"
            ),
        ]

    def __str__(self):
        return f"{self.issue}：{self.section}（{self.order}）"


class Correction(models.Model):
    """A change to an article after it was published, with the note readers see (更正).

    Made by the change itself (apps.workflow.admin: a published article's form asks for the
    note, and a restore of an old version is a change like any other), never separately.
    """

    MAX_NOTE = 200

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="corrections", verbose_name="文章"
    )
    note = models.CharField("更正说明", max_length=MAX_NOTE)
    at = models.DateTimeField("更正时间", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="更正人",
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "更正"
        verbose_name_plural = "更正"

    def __str__(self):
        return f"{self.article}：{self.note}"
