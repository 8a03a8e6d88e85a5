import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from apps.articles.models import Industry, IndustryGroup, Section
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def test_migrate_alone_seeds_the_6_3_3_industries_in_order():
    groups = {
        group.name: [industry.name for industry in group.industries.order_by("order")]
        for group in IndustryGroup.objects.all()
    }
    assert list(groups) == ["战略性新兴产业", "优势主导产业", "传统产业"]
    assert groups == {
        "战略性新兴产业": [
            "新一代信息技术",
            "新材料",
            "生物医药",
            "智能装备",
            "新能源汽车",
            "节能环保",
        ],
        "优势主导产业": ["装备制造", "食品", "发制品"],
        "传统产业": ["建材", "化工", "轻纺"],
    }
    assert Industry.objects.count() == 12


def test_migrate_alone_seeds_the_default_sections():
    assert list(Section.objects.values_list("name", flat=True)) == [
        "综合要闻", "行业趋势", "行业报告", "财经数据", "金融要点",
    ]  # fmt: skip


def test_migrate_creates_the_staff_roles():
    roles = {group.name: group for group in Group.objects.all()}
    assert set(roles) == {"编辑", "审核", "订户管理", "签发"}
    editor_perms = set(roles["编辑"].permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "add_issue", "change_issue"} <= editor_perms
    assert "review_article" not in editor_perms
    assert "review_issue" not in editor_perms
    assert "change_subscriber" not in editor_perms
    reviewer_perms = set(roles["审核"].permissions.values_list("codename", flat=True))
    assert {"review_article", "review_issue", "change_article", "change_issue"} <= reviewer_perms
    subadmin_perms = set(roles["订户管理"].permissions.values_list("codename", flat=True))
    assert "change_subscriber" in subadmin_perms
    assert "change_article" not in subadmin_perms
    # The issuing leader signs and reads; editing is the editors' and reviewers'.
    signer_perms = set(roles["签发"].permissions.values_list("codename", flat=True))
    assert {"sign_issue", "view_issue", "view_article"} <= signer_perms
    assert not {"change_article", "change_issue", "review_issue"} & signer_perms
    assert "sign_issue" not in reviewer_perms


def test_issue_reads_naturally_in_chinese():
    assert str(Issue(year=2023, number=12, total_number=108)) == "2023年第12期（总第108期）"
    assert str(Issue(year=2024, number=1)) == "2024年第1期"


def test_year_and_number_are_unique_together():
    IssueFactory(year=2023, number=12)
    IssueFactory(year=2024, number=12)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueFactory(year=2023, number=12)


def test_total_number_is_unique_but_may_stay_empty():
    IssueFactory(number=1, total_number=None)
    IssueFactory(number=2, total_number=None)
    IssueFactory(number=3, total_number=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueFactory(number=4, total_number=100)


def test_position_is_unique_within_an_issues_section():
    issue = IssueFactory()
    general, trends = Section.objects.all()[:2]
    ArticleFactory(issue=issue, section=general, position=1)
    ArticleFactory(issue=issue, section=trends, position=1)
    ArticleFactory(issue=IssueFactory(), section=general, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(issue=issue, section=general, position=1)


def test_slugs_are_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(name="另一个栏目", slug="general-news")
    with pytest.raises(IntegrityError), transaction.atomic():
        Industry.objects.create(
            group=IndustryGroup.objects.first(), name="另一个产业", slug="new-materials"
        )


def test_section_in_use_cannot_be_deleted():
    from django.db.models import ProtectedError

    article = ArticleFactory()
    with pytest.raises(ProtectedError):
        article.section.delete()
