"""Industry tags suggested by keyword, from the industries' names and a synonym table."""

import pytest

from apps.articles.keywords import suggest_industries
from apps.articles.models import Industry
from apps.wordimport.parsing import parse_docx
from tests.wordimport.documents import build

pytestmark = pytest.mark.django_db


def suggested(title, text):
    industries = list(Industry.objects.all())
    return [i.slug for i in suggest_industries(title=title, text=text, industries=industries)]


def test_the_sample_articles():
    parsed = parse_docx(build())
    aviation, ai = parsed.articles[1], parsed.articles[3]

    assert "equipment-manufacturing" in suggested(aviation.title, aviation.text)
    # Chat robots are software: "聊天机器人" counts for IT, not for robots (智能装备).
    assert suggested(ai.title, ai.text) == ["next-generation-it"]


def test_names_and_synonyms():
    assert suggested("石墨烯产业加快发展", "") == ["new-materials"]
    assert suggested("", "新能源汽车销量增长，动力电池产能扩大，充电桩加快建设。") == [
        "new-energy-vehicles"
    ]
    assert suggested("许昌发制品出口创新高", "假发远销海外。") == ["hair-products"]


def test_a_passing_mention_is_not_enough():
    assert suggested("一篇综述", "文中提到食品和饮料。") == []


def test_at_most_three():
    text = "芯片、石墨烯、疫苗、机器人、电动汽车、节能。" * 3
    assert len(suggested("综述", text)) == 3


def test_a_renamed_or_new_industry_is_found_by_its_name():
    food = Industry.objects.get(slug="food")
    food.name = "食品加工"
    food.save()

    assert suggested("食品加工企业转型", "") == ["food"]
