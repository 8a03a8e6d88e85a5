"""The industry tagger learned from the bulletin's own tagged articles, beside the keywords."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.articles.keywords import suggest_industries
from apps.articles.models import Article, Industry, Section
from apps.intake import tagging
from apps.intake.models import Clipping, TaggerModel
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

# Each industry as the bulletin writes about it: words the keyword list lacks (so that the
# keywords miss it) and a passing mention of another industry's keywords (so that they are
# misled): 钧瓷 glazes are made from 化工 raw materials, a wig maker sells over the 互联网.
# fmt: off
TERMS = {
    "next-generation-it": (
        "服务器", "操作系统", "光模块", "数据库", "信创",
        "开源社区", "智算中心", "网络安全", "光纤", "鸿蒙",
    ),
    "new-materials": (
        "碳化硅", "氮化镓", "超导线材", "溅射靶材", "气凝胶",
        "培育钻石", "立方氮化硼", "单晶炉", "微粉", "电子浆料",
    ),
    "biomedicine": (
        "单克隆抗体", "原料药", "注射剂", "临床试验", "仿制药",
        "血液制品", "诊断试剂", "细胞治疗", "一致性评价", "医保目录",
    ),
    "intelligent-equipment": (
        "伺服电机", "精密减速器", "机械臂", "工控系统", "视觉检测",
        "激光切割", "柔性产线", "数字车间", "协作臂", "示教器",
    ),
    "new-energy-vehicles": (
        "整车", "纯电车型", "插电混动", "换电站", "续航里程",
        "电驱系统", "乘用车", "车规级", "热管理", "底盘",
    ),
    "energy-saving": (
        "污水处理", "余热回收", "垃圾焚烧", "脱硫脱硝", "大气治理",
        "土壤修复", "能效标识", "绿色电力", "再生资源", "危废处置",
    ),
    "equipment-manufacturing": (
        "起重机", "矿山机械", "变压器", "开关柜", "高压电缆",
        "盾构机", "铸锻件", "汽轮机", "特高压", "电力金具",
    ),
    "food": (
        "速冻水饺", "辣条", "腐竹", "方便面", "冷链物流",
        "调味品", "面粉", "休闲零食", "肉鸡屠宰", "挂面",
    ),
    "hair-products": (
        "蕾丝头套", "接发", "发块", "假睫毛", "发条",
        "发帘", "美发沙龙", "头发原料", "发套", "发片",
    ),
    "building-materials": (
        "瓷砖", "石膏板", "混凝土", "砂石骨料", "防水卷材",
        "卫浴", "釉料", "窑炉", "保温板", "神垕窑口",
    ),
    "chemicals": (
        "甲醇", "乙烯", "氯碱", "聚氨酯", "尿素",
        "纯碱", "烧碱", "合成氨", "己内酰胺", "聚丙烯",
    ),
    "light-textiles": (
        "棉纱", "坯布", "针织", "羊绒", "织机",
        "面料", "纱线", "毛巾", "无纺布", "成衣",
    ),
}
# fmt: on
MISLEADING = {
    "next-generation-it": "平台已接入食品企业二百家，纺织和服装企业也在试用。",
    "new-materials": "产品用于航空航天领域，并进入轨道交通供应链。",
    "biomedicine": "企业依托大数据和人工智能平台加速研发。",
    "intelligent-equipment": "设备主要销往新能源汽车和动力电池生产企业。",
    "new-energy-vehicles": "车企加大芯片采购，车载芯片和软件迭代加快。",
    "energy-saving": "项目服务周边化工园区，为化工企业治理废气。",
    "equipment-manufacturing": "产品服务光伏电站和储能电站并网，助力节能。",
    "food": "企业引进机器人码垛，自动化包装线投产，智能制造水平提升。",
    "hair-products": "企业借助互联网直播推进数字化转型，互联网销售额翻番。",
    "building-materials": "钧瓷釉料离不开化工原料，当地化工企业供应釉料，化工人才紧缺。",
    "chemicals": "园区配套建设光伏电站和储能设施，推进节能降耗。",
    "light-textiles": "企业实施节能改造，环保投入增加，节能效果明显。",
}
PLACES = ["许昌", "长葛", "禹州", "鄢陵", "襄城", "郑州", "洛阳", "苏州", "合肥", "深圳"]
TITLES = [
    "{place}{a}产业跑出加速度",
    "{a}：{place}再添新项目",
    "{place}{a}和{b}集群加快成形",
    "从{a}看{place}产业升级",
    "{place}{a}企业订单排到年底",
]
SENTENCES = [
    "{place}一批企业围绕{a}和{b}新建生产线，预计年产值增长{n}%。",
    "业内人士表示，{a}市场需求旺盛，{b}环节仍有短板。",
    "今年以来，{place}已落地{a}项目{m}个，带动{b}配套企业集聚。",
    "龙头企业新上{a}项目，{b}产能提高{n}%。",
    "专家建议加快{a}技术攻关，提升{b}的国产化水平。",
    "{place}出台措施支持{a}企业开拓市场，{b}出口额同比增长{n}%。",
    "据统计，全省{a}相关企业已超过{m}百家，{b}领域涌现多家专精特新企业。",
]
ARCHIVE_SIZE = 150


def write(rng, slug, words=None):
    terms = TERMS[slug]
    a, b = rng.sample(terms, 2)
    fill = {"a": a, "b": b, "place": rng.choice(PLACES), "n": rng.randint(5, 60)}
    return rng.choice(words or SENTENCES).format(m=rng.randint(3, 30), **fill)


def make_article(rng, industries):
    """Return the title and the body of an article of the archive about `industries`."""
    main = industries[0]
    name = Industry.objects.get(slug=main).name if rng.random() < 0.2 else None
    title = name + "产业发展提速" if name else write(rng, main, TITLES)
    sentences = [write(rng, main) for _ in range(rng.randint(4, 7))]
    for other in industries[1:]:
        sentences += [write(rng, other) for _ in range(2)]
    if rng.random() < 0.7:
        sentences.insert(rng.randint(1, len(sentences)), MISLEADING[main])
    body = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    return title, body


def build_archive(size=ARCHIVE_SIZE, seed=20):
    """Publish `size` tagged articles across the twelve industries; a fifth serve two."""
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
    slugs = list(Industry.objects.values_list("slug", flat=True))
    section = Section.objects.order_by("order").first()
    issues = [IssueFactory(year=2023, number=n + 1, visible=True) for n in range(size // 15 + 1)]
    tags = []
    articles = []
    for i in range(size):
        industries = [slugs[i % len(slugs)]]
        if rng.random() < 0.2:
            industries.append(rng.choice([s for s in slugs if s != industries[0]]))
        title, body = make_article(rng, industries)
        tags.append(industries)
        articles.append(
            Article(
                issue=issues[i // 15],
                section=section,
                position=i % 15 + 1,
                title=title,
                body=body,
                status=Article.Status.PUBLISHED,
            )
        )
    # bulk_create: the archive is the tests' setting, not what they test; it takes a second
    # instead of ten.
    articles = Article.objects.bulk_create(articles)
    industry = {i.slug: i for i in Industry.objects.all()}
    Article.industries.through.objects.bulk_create(
        Article.industries.through(article=article, industry=industry[slug])
        for article, slugs_of in zip(articles, tags, strict=True)
        for slug in slugs_of
    )
    return articles


@pytest.fixture(autouse=True)
def fresh_tagger():
    # Each test sees the models of its own database, not one loaded by an earlier test.
    tagging.refresh()
    yield
    tagging.refresh()


@pytest.fixture
def archive():
    return build_archive()


# 钧瓷 is 建材; its glazes are made from 化工 raw materials, which the keywords count.
JUNCI = (
    "神垕窑口扩建钧瓷窑炉",
    "神垕镇新建窑炉十座，釉料配方离不开化工原料，当地化工企业为窑口供应釉料，"
    "化工专业人才紧缺。瓷砖和卫浴企业也来取经。",
)


WIGS = ("许昌企业扩产蕾丝头套和发块", "订单增长，接发、发帘和发片产品远销非洲，美发沙龙客户增多。")


def keyword_slugs(title, text):
    industries = list(Industry.objects.all())
    return [i.slug for i in suggest_industries(title=title, text=text, industries=industries)]


def test_a_learned_tagger_beats_the_keywords_and_is_used(archive):
    before = tagging.suggest(*JUNCI)
    assert before.version == "keywords"
    assert before.chosen == keyword_slugs(*JUNCI)
    assert "chemicals" in before.chosen  # misled by 化工

    result = tagging.train(min_articles=60)

    assert result.kept, result.reason
    assert result.articles == ARCHIVE_SIZE
    assert result.model.micro_f1 > result.keywords.micro_f1
    assert result.model.macro_f1 > result.keywords.macro_f1
    assert "已启用" in result.reason
    stored = TaggerModel.objects.get()
    assert stored.version == result.version
    assert stored.metrics["model"]["micro_f1"] == result.model.micro_f1
    assert stored.metrics["keywords"]["micro_f1"] == result.keywords.micro_f1
    # Figures per industry, for both taggers, on the same held-out articles.
    for figures in (result.model, result.keywords):
        assert set(figures.industries) == set(Industry.objects.values_list("slug", flat=True))
    assert sum(row["support"] for row in result.model.industries.values()) >= result.held_out

    after = tagging.suggest(*JUNCI)
    assert after.version == result.version
    assert after.chosen[0] == "building-materials"
    assert "chemicals" not in after.chosen
    assert next(iter(after.scores)) == "building-materials"
    assert after.scores["building-materials"] >= tagging.DECISION
    # Words the keyword list lacks: 蕾丝头套, 发块 and 接发 are 发制品.
    assert keyword_slugs(*WIGS) == []
    assert tagging.suggest(*WIGS).chosen == ["hair-products"]


def test_below_the_minimum_the_keywords_tag(archive):
    result = tagging.train(min_articles=ARCHIVE_SIZE + 1)

    assert not result.kept
    assert result.reason == f"已标注文章不足 {ARCHIVE_SIZE + 1} 篇，继续使用关键词建议"
    assert result.model is None
    assert not TaggerModel.objects.exists()
    suggestion = tagging.suggest(*JUNCI)
    assert suggestion.version == "keywords"
    assert suggestion.chosen == keyword_slugs(*JUNCI)


def test_drafts_and_untagged_articles_do_not_count(archive, settings):
    settings.INTAKE_TAGGER_MIN_ARTICLES = 60
    for article in archive[60:]:
        article.status = Article.Status.DRAFT
    Article.objects.bulk_update(archive[60:], ["status"])
    archive[0].industries.clear()

    result = tagging.train()

    assert result.articles == 59
    assert result.reason == "已标注文章不足 60 篇，继续使用关键词建议"


def test_an_editors_correction_counts_at_the_next_training(archive):
    first = tagging.train(min_articles=60, now=timezone.now() - timedelta(days=7))
    # A word no article used: the model does not know it.
    dyeing = ("挑染产品热销", "挑染系列订单增长。")
    assert "hair-products" not in tagging.suggest(*dyeing).scores
    # The pool met it; an editor ticked 发制品 and saved.
    clipping = Clipping.objects.create(
        url="https://news.example.com/1",
        title="瑞贝卡推出渐变挑染新品",
        text="渐变挑染系列上市，挑染新品远销欧美。",
        industries_reviewed=True,
    )
    clipping.industries.set([Industry.objects.get(slug="hair-products")])
    # A suggestion no editor confirmed teaches nothing.
    Clipping.objects.create(
        url="https://news.example.com/2", title="挑染新品", text="挑染。", industries_reviewed=False
    )

    second = tagging.train(min_articles=60)

    assert (second.articles, second.corrections) == (ARCHIVE_SIZE, 1)
    # As good on the held-out articles as the model in use, and it learned more: kept.
    assert second.kept, second.reason
    assert second.current_version == first.version
    assert second.model.micro_f1 >= second.current.micro_f1
    suggestion = tagging.suggest(*dyeing)
    assert suggestion.version == second.version
    assert suggestion.scores["hair-products"] >= tagging.SHOWN


def test_a_model_worse_than_the_one_in_use_is_not_kept(archive):
    first = tagging.train(min_articles=60, now=timezone.now() - timedelta(days=1))
    assert first.kept
    # A careless afternoon: four clippings of each industry confirmed as the next one.
    rng = random.Random(7)  # noqa: S311 - test data, reproducible on purpose
    industries = list(Industry.objects.all())
    for n, industry in enumerate(industries * 4):
        title, body = make_article(rng, [industry.slug])
        clipping = Clipping.objects.create(
            url=f"https://news.example.com/{n}",
            title=title,
            text=tagging.plain(body),
            industries_reviewed=True,
        )
        clipping.industries.set([industries[(industries.index(industry) + 1) % 12]])

    worse = tagging.train(min_articles=60)

    assert not worse.kept
    assert worse.corrections == 48
    assert worse.current_version == first.version
    assert worse.model.micro_f1 < worse.current.micro_f1
    assert worse.model.micro_f1 > worse.keywords.micro_f1  # better than keywords is not enough
    assert worse.reason == (
        f"新模型在检验集上的 F1（{worse.model.micro_f1:.2f}）低于现用模型 {first.version}"
        f"（{worse.current.micro_f1:.2f}），未启用。"
    )
    assert list(TaggerModel.objects.values_list("version", flat=True)) == [first.version]
    assert tagging.suggest(*JUNCI).version == first.version


def shown(row):
    """A row's P, R and F1 as the command prints them ("-" when there is nothing to count)."""
    return [
        f"{row['precision']:.2f}" if row["chosen"] else "-",
        f"{row['recall']:.2f}" if row["support"] else "-",
        f"{row['f1']:.2f}" if row["support"] else "-",
    ]


def test_the_command_prints_the_figures_per_industry(archive):
    out = StringIO()
    call_command("train_tagger", "--min-articles", "60", stdout=out)
    lines = out.getvalue().splitlines()

    stored = TaggerModel.objects.get()
    metrics = stored.metrics
    assert lines[0] == f"已标注文章 {ARCHIVE_SIZE} 篇，编辑确认的素材 0 条。"
    assert lines[1] == f"检验集（留出）{metrics['held_out']} 篇："
    for industry in Industry.objects.all():
        [row] = [line for line in lines if line.startswith(industry.name + " ")]
        model = metrics["model"]["industries"][industry.slug]
        keywords = metrics["keywords"]["industries"][industry.slug]
        assert row.split()[1:] == [str(model["support"]), *shown(model), *shown(keywords)]
    [micro] = [line for line in lines if line.startswith("micro F1")]
    assert micro.split()[2:] == [
        f"{metrics['model']['micro_f1']:.2f}",
        f"{metrics['keywords']['micro_f1']:.2f}",
    ]
    assert "已启用" in lines[-2]
    assert stored.version in lines[-1]

    out = StringIO()
    call_command("train_tagger", "--min-articles", "1000", stdout=out)
    assert out.getvalue().splitlines() == [
        f"已标注文章 {ARCHIVE_SIZE} 篇，编辑确认的素材 0 条。",
        f"已标注文章不足 1000 篇，保留现用模型 {stored.version}",
    ]


def test_the_worker_trains_weekly(archive, settings, django_assert_num_queries):
    settings.INTAKE_TAGGER_MIN_ARTICLES = 60
    now = timezone.now()

    first = tagging.train_weekly(now=now)
    assert first.kept
    assert TaggerModel.objects.get().version == first.version
    # A fresh model: nothing to do, in one query, every minute.
    with django_assert_num_queries(1):
        assert tagging.train_weekly(now=now + timedelta(days=6)) is None

    # A week later the worker would train again, but it tried today already: a model that
    # was not kept is not trained again every minute.
    assert tagging.train_weekly(now=now + timedelta(days=8)) is None
    # A day later the claim has expired (deleted here), and it does.
    tagging.shared_cache.delete(tagging.ATTEMPT_KEY)
    later = tagging.train_weekly(now=now + timedelta(days=8))
    assert later is not None
    assert later.current_version == first.version


def test_without_enough_articles_the_worker_does_not_train(archive, settings):
    settings.INTAKE_TAGGER_MIN_ARTICLES = ARCHIVE_SIZE + 1
    assert tagging.train_weekly() is None
    assert not TaggerModel.objects.exists()
