"""The extractive summary draft: the text's own lead sentences, never an outlet's lines, never
longer than the limit, whatever the text."""

import re
import time

import pytest

from apps.intake.summarizing import extractive_summary
from tests.intake import reprints

TEXTS = reprints.load()
OUTLET_WORDS = re.compile(r"来源|责任编辑|编辑：|原标题|扫码|点击|声明|编者按|关注|作者：|审核")

NEWS = """本报讯（记者 张明）
许昌市电力装备产业集群2024年营业收入突破千亿元，成为许昌首个千亿级产业集群。
许昌是国内重要的电力装备制造基地，拥有电力装备企业300余家。
记者在一家企业的车间看到，工人们正在组装换流阀。
据介绍，这些产品将发往西北新能源基地。
来源：许昌日报 | 责任编辑：王五
扫码关注“许昌发布”"""

PATHOLOGICAL = {
    "one endless sentence": "许昌发制品出口" * 800,
    "commas only": "许昌发制品出口增长，" * 300,
    "no punctuation, lines": "\n".join(["许昌超硬材料产业集群规模持续扩大"] * 40),
    "english": "Xuchang hair products exports rose 12.6% in the first quarter. " * 40,
    "numbers": "2024 2025 38.6 12.6% 1500 " * 100,
    "one long sentence with commas": "，".join(["许昌电力装备企业中标特高压工程"] * 30) + "。",
    "symbols": "★☆※◆■□▲△" * 50,
    "mixed": "AI大模型（LLM）赋能制造业！" * 60,
}
BOILERPLATE_ONLY = "来源：经济日报\n责任编辑：王五\n原标题：某某\n扫码关注我们\n【经济日报】"


@pytest.mark.parametrize("limit", [10, 30, 60, 120, 200])
def test_the_summary_never_exceeds_the_limit(limit):
    cases = [(text.text, text.title) for text in TEXTS]
    cases += [(text, "") for text in [*PATHOLOGICAL.values(), NEWS, BOILERPLATE_ONLY]]
    for body, title in cases:
        summary = extractive_summary(body, title, limit)
        assert len(summary) <= limit, (limit, summary)


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_text_with_words_always_has_a_summary(name):
    summary = extractive_summary(PATHOLOGICAL[name])
    if name == "symbols":
        assert summary == ""  # no word to summarise
    else:
        assert 0 < len(summary) <= 120


def test_an_empty_text_or_one_of_outlet_lines_has_none():
    assert extractive_summary("") == ""
    assert extractive_summary("   \n\n ") == ""
    assert extractive_summary(BOILERPLATE_ONLY) == ""


def test_the_lead_of_a_news_item_is_chosen_without_dateline_or_outlet_lines():
    summary = extractive_summary(NEWS, "许昌电力装备产业集群营收突破千亿元")
    assert summary.startswith(
        "许昌市电力装备产业集群2024年营业收入突破千亿元，成为许昌首个千亿级产业集群。"
    )
    assert "记者" not in summary and not OUTLET_WORDS.search(summary)


def test_reprints_summaries_come_from_their_text_and_never_from_the_outlets_lines():
    for text in TEXTS:
        summary = extractive_summary(text.text, text.title)
        assert summary, text.id
        assert not OUTLET_WORDS.search(summary), (text.id, summary)
        for sentence in re.findall(r"[^。！？；!?;]+", summary.removesuffix("……")):
            assert sentence.strip() in text.text, (text.id, sentence)


def test_a_reprint_is_summarised_like_its_original():
    # Same lead whatever the outlet put around it (o21-r2 adds an editor's note, full-width
    # digits and the outlet's line; its text is otherwise the original's).
    original = next(text for text in TEXTS if text.id == "o21")
    reprint = next(text for text in TEXTS if text.id == "o21-r2")
    expected = extractive_summary(original.text, original.title)
    got = extractive_summary(reprint.text, reprint.title)
    assert got.translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"}) == expected


def test_a_best_sentence_longer_than_the_limit_is_cut_at_a_comma():
    lead = (
        "国家药品监督管理局近日通过优先审评审批程序附条件批准某生物医药公司申报的1类创新药上市，"
        "用于治疗既往经表皮生长因子受体酪氨酸激酶抑制剂治疗后出现疾病进展的局部晚期患者，"
        "这是今年以来国家药品监督管理局获批的第三十二个创新药，其中抗肿瘤药物占比超过三分之一，"
        "业内人士认为这将为相关患者提供新的治疗选择。"
    )
    assert len(lead) > 120
    summary = extractive_summary(lead + "\n该药品由河南企业研发。", "创新药获批上市", 120)
    assert len(summary) <= 120
    assert summary.endswith("……")
    head = summary.removesuffix("……")
    assert lead.startswith(head) and lead[len(head)] == "，"


def test_a_sentence_the_page_repeats_is_taken_once():
    summary = extractive_summary(PATHOLOGICAL["no punctuation, lines"])
    assert summary == "许昌超硬材料产业集群规模持续扩大。"


def test_a_sentence_of_one_endless_run_is_cut_within_the_limit():
    summary = extractive_summary(PATHOLOGICAL["one endless sentence"], limit=50)
    assert summary.endswith("……") and len(summary) == 50


def test_a_huge_page_is_summarised_from_its_beginning_in_bounded_time():
    huge = "\n".join(f"第{n}号园区今年新签约项目{n % 97}个，总投资{n}亿元。" for n in range(20000))
    start = time.perf_counter()
    summary = extractive_summary(huge, "园区签约项目")
    assert time.perf_counter() - start < 2  # ranking all 20,000 sentences takes minutes
    assert summary.startswith("第0号园区")
