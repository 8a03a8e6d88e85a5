"""The same search cases on whichever database the suite runs on (CI runs SQLite and PostgreSQL)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue
from apps.search.indexing import refresh
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db
URL = reverse("reader:search")


@pytest.fixture
def sample(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False
    issue = IssueFactory(visible=True, year=2024, number=3)
    extra = ArticleFactory(
        issue=issue,
        status=Article.Status.PUBLISHED,
        title="许昌新能源汽车产业链加快成形",
        body="<p>本市新能源汽车零部件企业增至40家，动力电池项目投产。</p>",
        section=Section.objects.get(slug="industry-trends"),
    )
    extra.industries.set(Industry.objects.filter(slug="new-energy-vehicles"))
    refresh([extra.pk])
    return issue


def titles(response):
    return [a.title for a in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("科技创新", "我国综合科技创新水平持续提升"),
        ("扫地机器人", "深圳：打好“服务牌”、企业“加速跑”"),
        ("生成式人工智能", "四大新功能让生成式AI“如虎添翼”"),
        ("新能源汽车", "许昌新能源汽车产业链加快成形"),
        ("大赛", "中国航空创新创业大赛展现民营企业科创活力"),  # two characters
        ("ElevenLabs", "四大新功能让生成式AI“如虎添翼”"),  # English
        ("aigc", "四大新功能让生成式AI“如虎添翼”"),  # any case
        ("77.13", "我国综合科技创新水平持续提升"),  # numbers
        ("“助企行”！", "深圳：打好“服务牌”、企业“加速跑”"),  # punctuation around words
    ],
)
def test_chinese_queries_find_the_right_articles(client, enterprise, sample, query, expected):
    client.force_login(enterprise)
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    found = titles(response)
    assert found and found[0] == expected, found


def test_results_are_highlighted_and_ranked(client, enterprise, sample):
    client.force_login(enterprise)
    response = client.get(URL, {"q": "科技创新"})
    found = titles(response)
    # The article about innovation in its title ranks above one that only mentions it.
    assert found.index("我国综合科技创新水平持续提升") < len(found)
    page = response.content.decode()
    assert "<mark>科技</mark>" in page
    assert "<mark>创新</mark>" in page


def test_search_sees_only_what_the_reader_may_read(client, enterprise, leader, sample):
    issue = sample
    ArticleFactory(
        issue=issue,
        status=Article.Status.PUBLISHED,
        title="领导参阅：氢能规划",
        visibility=Article.Visibility.LEADERSHIP,
    )
    ArticleFactory(issue=issue, status=Article.Status.APPROVED, title="待发布：氢能补贴")
    draft_issue = IssueFactory(status=Issue.Status.DRAFT, number=9)
    ArticleFactory(issue=draft_issue, status=Article.Status.PUBLISHED, title="草稿期：氢能示范")
    refresh(Article.objects.values_list("pk", flat=True))

    client.force_login(enterprise)
    response = client.get(URL, {"q": "氢能"})
    assert titles(response) == []
    assert response.context["page_obj"].paginator.count == 0
    client.force_login(leader)
    assert titles(client.get(URL, {"q": "氢能"})) == ["领导参阅：氢能规划"]


def test_filters_narrow_the_results(client, enterprise, sample):
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": "企业", "industry": "new-energy-vehicles"})) == [
        "许昌新能源汽车产业链加快成形"
    ]
    found = titles(client.get(URL, {"q": "企业", "section": "industry-trends", "year": "2023"}))
    assert found == ["深圳：打好“服务牌”、企业“加速跑”"]
    found = titles(client.get(URL, {"q": "企业", "published_before": "2023-12-31"}))
    assert "许昌新能源汽车产业链加快成形" not in found and found


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("科" * 300, "搜索词过长"),
        ("，。！？……——", "请输入要搜索的文字"),
        ("'\"*()&|!", "请输入要搜索的文字"),
    ],
)
def test_odd_queries_answer_with_a_message(client, enterprise, sample, query, notice):
    client.force_login(enterprise)
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert notice in response.content.decode()


def test_bad_filter_values_are_answered_not_crashed(client, enterprise, sample):
    client.force_login(enterprise)
    response = client.get(URL, {"q": "科技", "year": "abc", "industry": "nope"})
    assert response.status_code == 200
    assert response.context["page_obj"] is None
    assert "选择一个有效的选项" in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL, {"q": "科技"})
    assert response.status_code == 302


def test_index_follows_publish_edit_and_withdraw(
    client, reviewer, enterprise, django_capture_on_commit_callbacks
):
    issue = IssueFactory(status=Issue.Status.REVIEW, number=20)
    article = ArticleFactory(
        issue=issue, status=Article.Status.APPROVED, title="发制品出口", body="<p>假发出口增长</p>"
    )
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": "假发"})) == []

    with django_capture_on_commit_callbacks(execute=True):
        steps.perform(issue, "publish", by=reviewer)
    assert titles(client.get(URL, {"q": "假发"})) == ["发制品出口"]

    client.force_login(reviewer)
    change = reverse("admin:articles_article_change", args=[article.pk])
    article.refresh_from_db()
    data = {
        "title": article.title, "subtitle": "", "source": "", "author": "",
        "edit_version": article.version, "issue": issue.pk, "section": article.section_id,
        "position": article.position, "visibility": Article.Visibility.ALL, "summary": "",
        "body": "<p>发制品电商销售增长</p>", "correction_note": "销售数据更新。",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change, data).status_code == 302
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": "假发"})) == []
    assert titles(client.get(URL, {"q": "电商"})) == ["发制品出口"]

    steps.perform(issue, "withdraw", by=reviewer, comment="更正")
    assert titles(client.get(URL, {"q": "电商"})) == []
    with django_capture_on_commit_callbacks(execute=True):
        steps.perform(issue, "reopen", by=reviewer)
    from apps.search.models import SearchDocument

    assert not SearchDocument.objects.filter(article=article).exists()


def test_rebuild_command(sample):
    output = io.StringIO()
    call_command("rebuild_search_index", stdout=output)
    assert "已重建检索索引：5 篇文章" in output.getvalue()


def test_broad_queries_rank_every_match(client, enterprise):
    # Formerly only the newest 200 matches were ranked; now every match is, in the database:
    # the oldest article, with the word in its title, comes first among 25 newer ones.
    old = ArticleFactory(issue=IssueFactory(visible=True, number=1), title="氢能产业报告")
    old.issue.published_at = old.issue.published_at.replace(year=2020)
    old.issue.save()
    issue = IssueFactory(visible=True, number=2)
    for index in range(25):
        ArticleFactory(issue=issue, position=index + 1, title=f"动态{index}", body="<p>氢能</p>")
    Article.objects.update(status=Article.Status.PUBLISHED)
    refresh(Article.objects.values_list("pk", flat=True))
    client.force_login(enterprise)
    response = client.get(URL, {"q": "氢能"})
    assert titles(response)[0] == "氢能产业报告"
    assert response.context["page_obj"].total == 26
    assert "共找到 26 篇文章" in response.content.decode()
    third = client.get(URL, {"q": "氢能", "page": "3"})
    assert len(third.context["page_obj"].object_list) == 6


def test_very_broad_queries_rank_title_matches_and_the_newest(client, enterprise, monkeypatch):
    monkeypatch.setattr("apps.search.engine.CANDIDATES", 3)
    monkeypatch.setattr("apps.search.engine.COUNT_LIMIT", 20)
    old = ArticleFactory(issue=IssueFactory(visible=True, number=1), title="氢能产业报告")
    issue = IssueFactory(visible=True, number=2)
    for index in range(25):
        ArticleFactory(issue=issue, position=index + 1, title=f"动态{index}", body="<p>氢能</p>")
    Article.objects.update(status=Article.Status.PUBLISHED)
    refresh(Article.objects.values_list("pk", flat=True))
    client.force_login(enterprise)
    response = client.get(URL, {"q": "氢能"})
    # The oldest match is ranked, for its title, beside the newest three.
    assert titles(response)[0] == old.title
    assert response.context["page_obj"].paginator.count == 4
    page = response.content.decode()
    assert "共找到 20 多篇文章" in page
    assert "找到的文章较多" in page


@pytest.mark.parametrize("matches", [3, 30])
def test_search_runs_a_fixed_number_of_queries(
    client, enterprise, django_assert_num_queries, matches
):
    issue = IssueFactory(visible=True, number=40)
    for index in range(matches):
        ArticleFactory(
            issue=issue, status=Article.Status.PUBLISHED, position=index + 1, title=f"储能{index}"
        )
    refresh(Article.objects.values_list("pk", flat=True))
    client.force_login(enterprise)
    client.get(URL, {"q": "其他"})  # the session and the user reach the cache
    # the counters, the newest matches (which counts them), the title matches, the ranking
    # of the candidates, the page's articles with their issues and sections, the issues whose
    # editor's notes match, industries and sections for the filter form
    with django_assert_num_queries(8):
        response = client.get(URL, {"q": "储能"})
    assert f"共找到 {matches} 篇文章" in response.content.decode()
    # The same search again, by anyone of the audience: the page cache, checked against the
    # content counter (one query).
    with django_assert_num_queries(1):
        assert client.get(URL, {"q": "储能"}).content == response.content


def test_pages_keep_the_query_and_filters(client, enterprise):
    issue = IssueFactory(visible=True, number=41)
    for index in range(12):
        ArticleFactory(
            issue=issue, status=Article.Status.PUBLISHED, position=index + 1, title=f"氢能{index}"
        )
    refresh(Article.objects.values_list("pk", flat=True))
    client.force_login(enterprise)
    page = client.get(URL, {"q": "氢能", "year": "2024"}).content.decode()
    assert "第 1 / 2 页" in page
    assert "?q=%E6%B0%A2%E8%83%BD&amp;year=2024&amp;page=2" in page
    second = client.get(URL, {"q": "氢能", "year": "2024", "page": "2"})
    assert len(second.context["page_obj"].object_list) == 2
