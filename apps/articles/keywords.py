"""Industry tags suggested for an article by keywords: the industries' names and synonyms.

Only a suggestion: the Word import's preview shows the tags as ticked boxes the editor changes,
and the intake pool falls back to it until a tagger is learned (apps.intake.tagging). It lives
here, below both, because they are independent of each other. Names come from the database
(the taxonomy is editable); the synonyms are keyed by the seeded slugs, so a renamed industry
keeps its synonyms and a new one is found by its name alone.
"""

import re
from collections import Counter, defaultdict

SYNONYMS = {
    "next-generation-it": (
        "信息技术", "人工智能", "AI", "AIGC", "大模型", "算力", "大数据", "云计算", "软件",
        "芯片", "集成电路", "半导体", "5G", "物联网", "互联网", "区块链", "数字经济",
        "数字化", "数据中心", "通信", "聊天机器人", "数字孪生",
    ),
    "new-materials": (
        "新材料", "石墨烯", "碳纤维", "复合材料", "超硬材料", "金刚石", "纳米材料", "稀土",
        "高分子", "特种合金",
    ),
    "biomedicine": (
        "生物医药", "医药", "药物", "新药", "创新药", "疫苗", "生物技术", "医疗器械",
        "基因", "中药", "制药",
    ),
    "intelligent-equipment": (
        "智能装备", "机器人", "智能制造", "数控", "无人机", "工业母机", "自动化", "传感器",
        "智能终端",
    ),
    "new-energy-vehicles": (
        "新能源汽车", "电动汽车", "新能源车", "动力电池", "锂电池", "充电桩", "氢能",
        "燃料电池", "自动驾驶", "智能网联汽车",
    ),
    "energy-saving": (
        "节能环保", "节能", "环保", "减排", "碳中和", "碳达峰", "双碳", "污染治理",
        "循环经济", "固废", "光伏", "储能",
    ),
    "equipment-manufacturing": (
        "装备制造", "航空", "航天", "电力装备", "输变电", "电网设备", "工程机械", "机床",
        "重型装备", "轨道交通",
    ),
    "food": ("食品", "饮料", "粮食", "农产品", "肉制品", "乳制品", "烟草", "预制菜"),
    "hair-products": ("发制品", "假发", "发饰", "人发"),
    "building-materials": ("建材", "水泥", "玻璃", "陶瓷", "钧瓷", "装配式建筑", "建筑材料"),
    "chemicals": ("化工", "化学品", "化肥", "石化", "炼油", "涂料", "精细化工"),
    "light-textiles": ("轻纺", "纺织", "服装", "印染", "家纺", "化纤"),
}  # fmt: skip

MAX_SUGGESTIONS = 3
# A word in the title counts as much as three in the body; a mention or two is not enough.
TITLE_WEIGHT = 3
THRESHOLD = 3


def keyword_scores(*, title: str, text: str, industries) -> dict[int, int]:
    """Return the weighted count of keywords found for each industry mentioned (pk -> count).

    All keywords are looked for at once, longest first, so a word counts for the industry of
    the longest keyword it belongs to: "聊天机器人" is software, not a robot.
    """
    owners = defaultdict(list)
    for industry in industries:
        for keyword in {industry.name, *SYNONYMS.get(industry.slug, ())}:
            owners[keyword].append(industry)
    if not owners:
        return {}
    pattern = re.compile("|".join(map(re.escape, sorted(owners, key=len, reverse=True))))
    scores = Counter()
    for weight, words in ((TITLE_WEIGHT, title), (1, text)):
        for match in pattern.finditer(words):
            for industry in owners[match.group(0)]:
                scores[industry.pk] += weight
    return dict(scores)


def suggest_industries(*, title: str, text: str, industries) -> list:
    """Return up to MAX_SUGGESTIONS of `industries` (Industry rows) the article is about."""
    scores = keyword_scores(title=title, text=text, industries=industries)
    ranked = sorted(
        (industry for industry in industries if scores.get(industry.pk, 0) >= THRESHOLD),
        key=lambda industry: -scores[industry.pk],
    )
    return ranked[:MAX_SUGGESTIONS]
