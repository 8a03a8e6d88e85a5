"""Seed the city's "6+3+3" industries and the bulletin's default sections."""

from django.db import migrations

INDUSTRY_GROUPS = [
    ("战略性新兴产业", "strategic-emerging", [
        ("新一代信息技术", "next-generation-it"),
        ("新材料", "new-materials"),
        ("生物医药", "biomedicine"),
        ("智能装备", "intelligent-equipment"),
        ("新能源汽车", "new-energy-vehicles"),
        ("节能环保", "energy-saving"),
    ]),
    ("优势主导产业", "leading-advantage", [
        ("装备制造", "equipment-manufacturing"),
        ("食品", "food"),
        ("发制品", "hair-products"),
    ]),
    ("传统产业", "traditional", [
        ("建材", "building-materials"),
        ("化工", "chemicals"),
        ("轻纺", "light-textiles"),
    ]),
]  # fmt: skip

SECTIONS = [
    ("综合要闻", "general-news", "国内外科技创新与经济发展的重要动态。"),
    ("行业趋势", "industry-trends", "各地推动产业发展的做法与经验。"),
    ("行业报告", "industry-reports", "新技术、新业态的专题报告与分析。"),
    ("财经数据", "financial-data", "宏观经济与行业运行数据。"),
    ("金融要点", "finance-highlights", "金融政策与市场要点。"),
]


def seed(apps, schema_editor):
    IndustryGroup = apps.get_model("articles", "IndustryGroup")
    Industry = apps.get_model("articles", "Industry")
    Section = apps.get_model("articles", "Section")
    for group_order, (group_name, group_slug, industries) in enumerate(INDUSTRY_GROUPS, start=1):
        group, _ = IndustryGroup.objects.update_or_create(
            slug=group_slug, defaults={"name": group_name, "order": group_order}
        )
        for order, (name, slug) in enumerate(industries, start=1):
            Industry.objects.update_or_create(
                slug=slug, defaults={"group": group, "name": name, "order": order}
            )
    for order, (name, slug, description) in enumerate(SECTIONS, start=1):
        Section.objects.update_or_create(
            slug=slug, defaults={"name": name, "order": order, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
