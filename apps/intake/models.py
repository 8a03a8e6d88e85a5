from datetime import timedelta

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from apps.articles.models import Industry

# Five failures in a row double the interval at each further failure, up to sixteen times.
BACKOFF_AFTER = 5
LONGEST_BACKOFF = 16


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
