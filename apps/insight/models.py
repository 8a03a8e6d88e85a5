"""The rollups the dashboard and the report read (apps.insight.rollups keeps them): totals of
the readings, per issue × day × kind × region × channel and per article and industry × month,
so that no page scans the readings. They outlive the readings they were made from
(READINGS_KEEP_DAYS): past periods keep their totals."""

from django.conf import settings
from django.db import models

from apps.articles.models import Article, Industry
from apps.core.via import Source
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber

# Readers whose subscription is gone (deleted since) are counted under this kind and region.
UNKNOWN = "unknown"
KINDS = [*Subscriber.Kind.choices, (UNKNOWN, "未知")]
REGIONS = [*Subscriber.Region.choices, (UNKNOWN, "未知")]


class IssueAudience(models.Model):
    """How many subscribers could read an issue when it went live, by kind and region: the
    denominator of its reach. Taken once, within a minute of going live, and kept: a reader
    whose subscription ended later still counts for the issues they could read."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("读者类型", max_length=20, choices=KINDS)
    region = models.CharField("地区", max_length=20, choices=REGIONS)
    eligible = models.PositiveIntegerField("可阅读人数")

    class Meta:
        verbose_name = "期刊读者范围"
        verbose_name_plural = "期刊读者范围"
        # Who opens the dashboard (审核, 订户管理), and who sees people in it (订户管理).
        permissions = [
            ("view_insight", "查看数据看板（汇总数字）"),
            ("view_insight_people", "查看数据看板中的个人阅读情况"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind", "region"], name="insight_audience_unique"
            ),
        ]

    def __str__(self):
        return f"{self.issue} {self.kind}/{self.region}: {self.eligible}"


class IssueReach(models.Model):
    """Readers of an issue by the day of their first opening of it or of one of its articles
    (0 = within the first 24 hours after it went live), their kind and region, and the channel
    of that first opening."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    day = models.PositiveSmallIntegerField("上线后第几天")
    kind = models.CharField("读者类型", max_length=20, choices=KINDS)
    region = models.CharField("地区", max_length=20, choices=REGIONS)
    channel = models.CharField("来源渠道", max_length=20, choices=Source.choices, blank=True)
    readers = models.PositiveIntegerField("读者人数")

    class Meta:
        verbose_name = "期刊到达"
        verbose_name_plural = "期刊到达"
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "day", "kind", "region", "channel"],
                name="insight_reach_unique",
            ),
        ]

    def __str__(self):
        return f"{self.issue} +{self.day} {self.kind}/{self.region}/{self.channel}: {self.readers}"


class ArticleMonth(models.Model):
    """Readers of an article whose first opening of it fell in a month."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份")  # the first day of the month, local time
    readers = models.PositiveIntegerField("读者人数")

    class Meta:
        verbose_name = "文章月度阅读"
        verbose_name_plural = "文章月度阅读"
        constraints = [
            models.UniqueConstraint(fields=["article", "month"], name="insight_article_month"),
        ]
        indexes = [models.Index(fields=["month", "article"])]

    def __str__(self):
        return f"{self.article_id} {self.month:%Y-%m}: {self.readers}"


class IndustryMonth(models.Model):
    """Readings (reader × article, by the month of the first opening) of an industry's
    articles, and of them those by readers who follow the industry."""

    industry = models.ForeignKey(Industry, on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份")
    readings = models.PositiveIntegerField("阅读量")
    by_followers = models.PositiveIntegerField("关注者的阅读量")

    class Meta:
        verbose_name = "产业月度阅读"
        verbose_name_plural = "产业月度阅读"
        constraints = [
            models.UniqueConstraint(fields=["industry", "month"], name="insight_industry_month"),
        ]

    def __str__(self):
        return f"{self.industry} {self.month:%Y-%m}: {self.readings}"


class ReaderMonth(models.Model):
    """A reader who opened anything in a month: the active readers of a period (the report)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份")
    kind = models.CharField("读者类型", max_length=20, choices=KINDS)
    region = models.CharField("地区", max_length=20, choices=REGIONS)

    class Meta:
        verbose_name = "读者月度活跃"
        verbose_name_plural = "读者月度活跃"
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="insight_reader_month"),
        ]
        indexes = [models.Index(fields=["month", "user"])]

    def __str__(self):
        return f"{self.user_id} {self.month:%Y-%m}"


class ReaderSeen(models.Model):
    """When a reader last opened anything: who has read nothing in 90 days, without the
    readings (which are pruned)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    last_read_at = models.DateTimeField("最近阅读", db_index=True)

    class Meta:
        verbose_name = "读者最近阅读"
        verbose_name_plural = "读者最近阅读"

    def __str__(self):
        return f"{self.user_id}: {self.last_read_at}"


class RollupMark(models.Model):
    """Where the rollups stand (one row): readings last read after `read_after` are not in
    them yet; before `kept_from` the readings were pruned and the totals are final."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    read_after = models.DateTimeField("已汇总至", null=True, blank=True)
    kept_from = models.DateTimeField("阅读记录保留自", null=True, blank=True)

    class Meta:
        verbose_name = "汇总进度"
        verbose_name_plural = "汇总进度"

    def __str__(self):
        return f"{self.read_after}"
