"""Build a large, realistic archive for benchmarks: issues, articles, subscribers."""

import json
import random
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue
from apps.search.indexing import rebuild
from apps.subscribers.models import Subscriber

SAMPLE_ISSUE = Path(__file__).resolve().parents[2] / "sample_issue.json"
TOPICS = [
    "新一代信息技术", "新材料", "生物医药", "智能装备", "新能源汽车", "节能环保", "装备制造",
    "食品", "发制品", "建材", "化工", "轻纺", "科技创新", "数字经济", "专精特新", "人工智能",
]  # fmt: skip
# Half the subscribers are enterprises.
KINDS = [
    Subscriber.Kind.LEADERSHIP,
    Subscriber.Kind.ENTERPRISE,
    Subscriber.Kind.ENTERPRISE,
    Subscriber.Kind.OTHER,
]
PLACES = ["许昌", "郑州", "深圳", "上海", "苏州", "合肥", "武汉", "长葛", "禹州", "鄢陵"]
VERBS = ["加快发展", "持续提升", "取得突破", "迈出新步伐", "跑出加速度", "释放新动能"]
# Words that make each generated article about its own topic, as real articles are.
SUBJECTS = [
    "龙头企业", "中小企业", "产业园区", "研发中心", "重点实验室", "行业协会", "地方政府",
    "上市公司", "高校院所", "产业基金", "外贸企业", "物流企业", "检测机构", "孵化器",
]  # fmt: skip
ACTIONS = [
    "新建生产线", "发布年度报告", "签约重大项目", "启动技术改造", "扩大出口规模", "完成新一轮融资",
    "推出新产品", "建设数字化车间", "组建创新联合体", "开展标准制定", "引进高层次人才",
    "降低单位能耗", "拓展海外市场", "布局储能项目", "实施品牌战略", "提升良品率",
]  # fmt: skip
OBJECTS = [
    "产能", "订单", "营收", "利润", "研发投入", "专利数量", "出口额", "市场份额", "用工人数",
    "投资规模", "能耗水平", "交付周期",
]  # fmt: skip


class Command(BaseCommand):
    help = "生成大规模测试数据（期刊、文章、订户），用于性能测试。"

    def add_arguments(self, parser):
        parser.add_argument("--issues", type=int, default=500)
        parser.add_argument("--articles-per-issue", type=int, default=20)
        parser.add_argument("--subscribers", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=2023)

    def handle(self, *args, issues, articles_per_issue, subscribers, seed, **options):
        if Issue.objects.filter(title__startswith="［生成］").exists():
            raise CommandError("已经生成过测试数据。请先清空数据库（或换一个数据库）。")
        rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
        sentences = _sentences()
        with transaction.atomic():
            created = self.make_issues(rng, issues, articles_per_issue, sentences)
            self.make_subscribers(rng, subscribers)
        indexed = rebuild()
        if connection.vendor == "postgresql":
            # Fresh tables have no statistics; without them the planner guesses badly.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"已生成 {issues} 期、{created} 篇文章、{subscribers} 个订户；检索索引 {indexed} 篇。"
        )

    def make_issues(self, rng, count, per_issue, sentences):
        sections = list(Section.objects.all())
        industries = list(Industry.objects.all())
        start = timezone.now() - timedelta(days=7 * count)
        first_year = start.year
        issues = Issue.objects.bulk_create(
            Issue(
                year=first_year + index // 50,
                number=index % 50 + 1,
                total_number=100_000 + index,
                title=f"［生成］{rng.choice(TOPICS)}专题",
                editor_note=_paragraphs(rng, sentences, 2),
                status=Issue.Status.PUBLISHED,
                published_at=start + timedelta(days=7 * index),
                went_live_at=start + timedelta(days=7 * index),
            )
            for index in range(count)
        )
        articles = []
        for issue in issues:
            for position in range(per_issue):
                topic = rng.choice(TOPICS)
                place = rng.choice(PLACES)
                articles.append(
                    Article(
                        issue=issue,
                        section=sections[position % len(sections)],
                        position=position // len(sections) + 1,
                        title=f"{place}{topic}{rng.choice(VERBS)}",
                        source=rng.choice(["科技日报", "经济日报", "河南日报", "许昌日报", ""]),
                        summary=_topical(rng, place, topic),
                        body=_body(rng, sentences, place, topic, rng.randint(4, 9)),
                        # One in ten articles is for leaders only.
                        visibility=Article.Visibility.LEADERSHIP
                        if rng.random() < 0.1
                        else Article.Visibility.ALL,
                        status=Article.Status.PUBLISHED,
                    )
                )
        created = Article.objects.bulk_create(articles, batch_size=1000)
        through = Article.industries.through
        through.objects.bulk_create(
            (
                through(article_id=article.pk, industry_id=industry.pk)
                for article in created
                for industry in rng.sample(industries, rng.randint(1, 3))
            ),
            batch_size=5000,
        )
        return len(created)

    def make_subscribers(self, rng, count):
        user_model = get_user_model()
        users = user_model.objects.bulk_create(
            user_model(username=f"reader{index:05d}", last_name=f"读者{index}")
            for index in range(count)
        )
        today = timezone.localdate()
        regions = Subscriber.Region.values
        subscribers = []
        for index, user in enumerate(users):
            valid_from = today - timedelta(days=rng.randint(0, 400))
            subscribers.append(
                Subscriber(
                    user=user,
                    kind=rng.choice(KINDS),
                    organization=f"{rng.choice(PLACES)}某单位{index}",
                    region=rng.choice(regions),
                    valid_from=valid_from,
                    # Most are current; some have ended.
                    valid_until=valid_from + timedelta(days=rng.randint(300, 800)),
                )
            )
        Subscriber.objects.bulk_create(subscribers)


def _sentences():
    data = json.loads(SAMPLE_ISSUE.read_text(encoding="utf-8"))
    text = " ".join(strip_tags(article["body"]) for article in data["articles"])
    return [s.strip() + "。" for s in text.split("。") if len(s.strip()) > 8]


def _paragraphs(rng, sentences, count):
    return "".join(f"<p>{''.join(rng.sample(sentences, 3))}</p>" for _ in range(count))


def _topical(rng, place, topic):
    return (
        f"{place}{topic}领域的{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}，"
        f"{rng.choice(OBJECTS)}同比增长{rng.randint(2, 60)}.{rng.randint(0, 9)}%。"
    )


def _body(rng, sentences, place, topic, count):
    """Paragraphs mostly about the article's own topic, now and then a sentence of the sample."""
    paragraphs = []
    for _ in range(count):
        parts = [_topical(rng, place, topic) for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.1:
            parts.insert(rng.randint(0, len(parts)), rng.choice(sentences))
        paragraphs.append(f"<p>{''.join(parts)}</p>")
    return "".join(paragraphs)
