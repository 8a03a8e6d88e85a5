from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from apps.articles.models import Industry
from apps.intake.decoding import ReadError
from apps.intake.links import check_selector
from apps.search.fulltext import FullTextField

# Five failures in a row double the interval at each further failure, up to sixteen times.
BACKOFF_AFTER = 5
LONGEST_BACKOFF = 16


def validate_link_selector(text: str) -> None:
    """A selector that cannot pick anything is refused when saved, not at the next fetch."""
    try:
        check_selector(text)
    except ReadError as error:
        raise ValidationError(str(error)) from error


class Source(models.Model):
    """A site the editors read: a feed, a list page whose articles are followed, or one link
    clipped by hand. Fetched by the worker when due (apps.intake.sources)."""

    class Kind(models.TextChoices):
        FEED = "feed", "订阅源（RSS/Atom/JSON Feed）"
        PAGE = "page", "栏目列表页"
        LINK = "link", "单篇链接"

    class Health(models.TextChoices):
        OK = "ok", "正常"
        PAUSED = "paused", "暂停"
        FAILING = "failing", "出错"

    name = models.CharField("名称", max_length=100)
    url = models.URLField(
        "地址", max_length=1000, validators=[URLValidator(schemes=["http", "https"])]
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.FEED)
    link_selector = models.CharField(
        "文章链接选择器",
        max_length=200,
        blank=True,
        help_text="列表页中文章链接的 CSS 选择器；留空则自动选取本站中像文章的链接。",
        validators=[validate_link_selector],
    )
    industries = models.ManyToManyField(
        Industry, blank=True, related_name="sources", verbose_name="常涉及的产业"
    )
    active = models.BooleanField("启用", default=True)
    interval_minutes = models.PositiveIntegerField("抓取间隔（分钟）", default=60)

    last_fetched_at = models.DateTimeField("最近抓取时间", null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField("最近成功时间", null=True, blank=True, editable=False)
    last_error = models.TextField("最近一次错误", blank=True, editable=False)
    failing_since = models.DateTimeField("出错开始时间", null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField("连续失败次数", default=0, editable=False)
    next_fetch_at = models.DateTimeField(
        "下次抓取时间", default=timezone.now, db_index=True, editable=False
    )
    etag = models.CharField("ETag", max_length=500, blank=True, editable=False)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = "信息源"
        verbose_name_plural = "信息源"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def health(self) -> "Source.Health":
        if not self.active:
            return self.Health.PAUSED
        if self.consecutive_failures:
            return self.Health.FAILING
        return self.Health.OK

    def interval(self) -> timedelta:
        """The time between fetches: longer while the site keeps failing."""
        extra = self.consecutive_failures - BACKOFF_AFTER + 1
        factor = min(2**extra, LONGEST_BACKOFF) if extra > 0 else 1
        return timedelta(minutes=self.interval_minutes * factor)


class WatchWord(models.Model):
    """A word the desk watches for (监测词): a company, county or park of 许昌, or an
    industry's term. A clipping that mentions one is flagged and ranks first."""

    word = models.CharField("监测词", max_length=50, unique=True)
    industry = models.ForeignKey(
        Industry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watch_words",
        verbose_name="所属产业",
        help_text="留空表示许昌本地词（企业、县区、园区）。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "监测词"
        verbose_name_plural = "监测词"
        ordering = ["industry__order", "word"]

    def __str__(self):
        return self.word


class Story(models.Model):
    """One piece of news however many outlets reprinted it (转载): its clippings.

    Everything here is derived from its clippings by apps.intake.stories.refresh, which the
    clippings' saves and deletes call (the story follows the database)."""

    lead = models.ForeignKey(
        "Clipping",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="原发稿",
    )
    first_seen_at = models.DateTimeField("首次发现时间", default=timezone.now)
    day = models.DateField("日期", default=timezone.localdate)
    size = models.PositiveIntegerField("稿件数", default=0)
    watched = models.BooleanField("含监测词", default=False)

    class Meta:
        verbose_name = "报道"
        verbose_name_plural = "报道"
        indexes = [models.Index(fields=["-day", "-watched", "-first_seen_at"], name="story_desk")]

    def __str__(self):
        return f"报道 #{self.pk}"


class Clipping(models.Model):
    """One page found at one address: its text, its machine-made summary and tags (marked
    自动生成 until an editor saves them), its story, and the article made from it."""

    class State(models.TextChoices):
        NEW = "new", "新"
        STARRED = "starred", "收藏"
        USED = "used", "已采用"
        IGNORED = "ignored", "已忽略"

    class Origin(models.TextChoices):
        EXTRACTIVE = "extractive", "自动生成（摘句）"
        MODEL = "model", "自动生成（语言模型）"
        EDITOR = "editor", "编辑撰写"

    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clippings",
        verbose_name="信息源",
    )
    source_name = models.CharField("来源", max_length=100, blank=True)
    url = models.URLField("原文链接", max_length=1000, unique=True)
    title = models.CharField("标题", max_length=300)
    author = models.CharField("作者", max_length=100, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    fetched_at = models.DateTimeField("抓取时间", default=timezone.now)
    changed_at = models.DateTimeField("内容更新时间", null=True, blank=True)
    html = models.TextField("正文", blank=True)
    text = models.TextField("正文（纯文本）", blank=True)
    image_urls = models.JSONField("图片地址", default=list, blank=True)
    # What the page said when last read: a changed page updates the clipping.
    text_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The MinHash signature of the main text (apps.intake.dedupe), for finding reprints.
    fingerprint = models.BinaryField(blank=True, default=b"", editable=False)

    summary = models.TextField("摘要草稿", blank=True)
    summary_origin = models.CharField(
        "摘要来源", max_length=20, choices=Origin.choices, default=Origin.EXTRACTIVE
    )
    industries = models.ManyToManyField(
        Industry, blank=True, related_name="clippings", verbose_name="产业"
    )
    industry_scores = models.JSONField("产业建议得分", default=dict, blank=True, editable=False)
    industries_reviewed = models.BooleanField("产业已由编辑确认", default=False)
    tagger_version = models.CharField("标注模型", max_length=40, blank=True, editable=False)
    watch_words = models.ManyToManyField(
        WatchWord, blank=True, related_name="clippings", verbose_name="命中的监测词"
    )

    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.NEW, db_index=True
    )
    story = models.ForeignKey(
        Story,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clippings",
        verbose_name="报道",
    )
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clippings",
        verbose_name="采用为文章",
    )

    class Meta:
        verbose_name = "素材"
        verbose_name_plural = "素材库"
        ordering = ["-fetched_at"]
        indexes = [models.Index(fields=["story", "published_at"], name="clipping_story")]

    def __str__(self):
        return self.title

    @property
    def machine_made(self) -> bool:
        """Whether a machine wrote the summary or the tags and no editor has saved them."""
        return self.summary_origin != self.Origin.EDITOR or not self.industries_reviewed


class TaggerModel(models.Model):
    """A trained industry tagger (apps.intake.tagging): the newest kept one is used."""

    version = models.CharField("版本", max_length=40, unique=True)
    trained_at = models.DateTimeField("训练时间", default=timezone.now)
    articles = models.PositiveIntegerField("训练文章数", default=0)
    metrics = models.JSONField("评估结果", default=dict)
    blob = models.BinaryField("模型数据", editable=False)

    class Meta:
        verbose_name = "产业标注模型"
        verbose_name_plural = "产业标注模型"
        ordering = ["-trained_at"]
        get_latest_by = "trained_at"

    def __str__(self):
        return f"{self.version}（{timezone.localtime(self.trained_at):%Y-%m-%d}）"


class FingerprintBand(models.Model):
    """One band of a clipping's MinHash signature (locality-sensitive hashing kept in the
    database): clippings sharing a band key are the candidates for being the same story."""

    clipping = models.ForeignKey(Clipping, on_delete=models.CASCADE, related_name="bands")
    key = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "指纹分段"
        verbose_name_plural = "指纹分段"

    def __str__(self):
        return f"{self.clipping_id}:{self.key}"


# The pool's full-text document (apps.intake.pool_search)
class ClippingDocument(models.Model):
    """One clipping's segmented text and bigrams, in the pool's full-text table `intake_fts`.

    Shaped like the reader's SearchDocument (apps.search.models), so the desk matches exactly
    as the reader search does: an FTS5 virtual table on SQLite, a table with generated,
    GIN-indexed tsvectors on PostgreSQL (migration 0004), the clipping's id in `rowid`.
    """

    clipping = models.OneToOneField(
        Clipping,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_document",
    )
    title = FullTextField()
    content = FullTextField()
    # The same text as character bigrams (apps.search.segmenter.index_grams).
    gram_title = FullTextField(default="")
    gram_content = FullTextField(default="")

    class Meta:
        # Managed, so that a flush empties it; its table is made by migration 0004 per
        # database, never by Django's schema editor.
        db_table = "intake_fts"
        verbose_name = "素材检索文档"
        verbose_name_plural = "素材检索文档"

    def __str__(self):
        return f"素材检索文档 #{self.clipping_id}"
