import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2024, number=5, total_number=60)
    general = Section.objects.get(slug="general-news")
    trends = Section.objects.get(slug="industry-trends")
    materials = Industry.objects.get(slug="new-materials")
    first = ArticleFactory(
        issue=issue, section=general, position=1, status=Article.Status.PUBLISHED, title="第一篇"
    )
    ArticleFactory(
        issue=issue,
        section=general,
        position=2,
        status=Article.Status.PUBLISHED,
        title="领导专阅",
        visibility=Article.Visibility.LEADERSHIP,
    )
    third = ArticleFactory(
        issue=issue, section=trends, position=1, status=Article.Status.PUBLISHED, title="第三篇"
    )
    first.industries.set([materials])
    third.industries.set([materials])
    return issue


def test_issue_page_reads_like_the_bulletin(client_for, enterprise, issue):
    response = client_for(enterprise).get(issue.get_absolute_url())
    assert response["Cache-Control"] == "private, no-cache"
    page = response.content.decode()
    assert "2024年第5期" in page and "总第60期" in page
    assert 'href="#section-general-news"' in page and 'href="#section-industry-trends"' in page
    assert "●编者的话" in page
    assert reverse("reader:issue_print", args=[2024, 5]) in page
    assert reverse("reader:issue_pdf", args=[2024, 5]) in page


def test_article_neighbours_skip_what_the_reader_may_not_see(client_for, enterprise, leader, issue):
    first, secret, third = issue.articles.order_by("section__order", "position")
    response = client_for(enterprise).get(first.get_absolute_url())
    page = response.content.decode()
    assert "上一篇" not in page
    assert f'href="{third.get_absolute_url()}"><span>下一篇</span>第三篇' in page
    assert "领导专阅" not in page

    response = client_for(leader).get(first.get_absolute_url())
    page = response.content.decode()
    assert f'href="{secret.get_absolute_url()}"><span>下一篇</span>领导专阅' in page
    assert reverse("reader:industry", args=["new-materials"]) in page


def test_home_shows_the_latest_issue_and_followed_industries(client_for, enterprise, issue):
    client = client_for(enterprise)
    page = client.get(reverse("reader:home")).content.decode()
    assert "还没有选择关注的产业" in page
    enterprise.subscriber.industries.set(Industry.objects.filter(slug="new-materials"))
    response = client.get(reverse("reader:home"))
    assert response.context["issue"] == issue
    assert [a.title for a in response.context["followed_articles"]] == ["第一篇", "第三篇"]


def test_industry_map_counts_only_readable_articles(client_for, enterprise, leader, issue):
    issue.articles.get(title="领导专阅").industries.set(
        Industry.objects.filter(slug="new-materials")
    )
    for user, expected in [(enterprise, 2), (leader, 3)]:
        response = client_for(user).get(reverse("reader:industries"))
        counts = {i.slug: i.article_count for _, items in response.context["groups"] for i in items}
        assert counts["new-materials"] == expected
        assert counts["food"] == 0
        assert [g.name for g, _ in response.context["groups"]] == [
            "战略性新兴产业",
            "优势主导产业",
            "传统产业",
        ]


def test_industry_page_lists_newest_first_and_404_for_unknown(client_for, enterprise, issue):
    newer = IssueFactory(visible=True, year=2024, number=6)
    ArticleFactory(issue=newer, status=Article.Status.PUBLISHED, title="更新的一篇").industries.set(
        Industry.objects.filter(slug="new-materials")
    )
    client = client_for(enterprise)
    response = client.get(reverse("reader:industry", args=["new-materials"]))
    assert [a.title for a in response.context["articles"]] == ["更新的一篇", "第一篇", "第三篇"]
    assert client.get(reverse("reader:industry", args=["no-such"])).status_code == 404


def test_archive_filters_by_year_and_industry_without_leaking(client_for, enterprise, issue):
    other = IssueFactory(visible=True, year=2023, number=2)
    ArticleFactory(
        issue=other, status=Article.Status.PUBLISHED, visibility=Article.Visibility.LEADERSHIP
    ).industries.set(Industry.objects.filter(slug="food"))
    client = client_for(enterprise)
    response = client.get(reverse("reader:issues"), {"year": "2023"})
    assert list(response.context["issues"]) == [other]
    # The 2023 issue's only 食品 article is for leaders: for this reader it has none.
    response = client.get(reverse("reader:issues"), {"industry": "food"})
    assert list(response.context["issues"]) == []
    response = client.get(reverse("reader:issues"), {"year": "1999"})
    assert response.status_code == 200
    assert list(response.context["issues"]) == []


def test_print_view_has_the_periodicals_parts_and_the_readers_mark(client_for, enterprise, issue):
    page = (
        client_for(enterprise).get(reverse("reader:issue_print", args=[2024, 5])).content.decode()
    )
    assert "内部资料　注意保存" in page
    assert "目　录" in page
    assert "第一篇" in page and "第三篇" in page
    assert "领导专阅" not in page
    assert "许昌某科技有限公司" in page  # who made this copy


def test_pdf_download_has_chinese_text(client_for, enterprise, issue):
    response = client_for(enterprise).get(reverse("reader:issue_pdf", args=[2024, 5]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    # Extractable Chinese means the glyphs were embedded with their characters.
    assert "许昌竞争情报快递" in text
    assert "第一篇" in text and "第三篇" in text
    assert "领导专阅" not in text
    assert "许昌某科技有限公司" in text
    fonts = str([page["/Resources"]["/Font"] for page in reader.pages[:1]])
    assert "CJK" in str(
        [
            f.get_object()["/BaseFont"]
            for page in reader.pages
            for f in page["/Resources"]["/Font"].values()
        ]
    ), fonts


def test_pdf_of_an_invisible_issue_is_404(client_for, enterprise):
    IssueFactory(status=Issue.Status.DRAFT, year=2024, number=7)
    assert (
        client_for(enterprise).get(reverse("reader:issue_pdf", args=[2024, 7])).status_code == 404
    )


def test_error_pages_are_in_chinese(client_for, enterprise):
    response = client_for(enterprise).get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize("size", [3, 40])
def test_reader_pages_run_a_fixed_number_of_queries(
    client_for, enterprise, django_assert_num_queries, size
):
    issue = IssueFactory(visible=True, year=2025, number=1)
    industries = list(Industry.objects.all())
    sections = list(Section.objects.all())
    for index in range(size):
        article = ArticleFactory(
            issue=issue,
            status=Article.Status.PUBLISHED,
            position=index + 1,
            section=sections[index % 5],
        )
        article.industries.set(industries[: 1 + index % 12])
    enterprise.subscriber.industries.set(industries)
    client = client_for(enterprise)
    expected = {
        # The session and the signed-in user come from the cache after the first request;
        # every page reads the counters that check the cached copies (one query), then:
        # latest issue, contents, followed industries, their articles
        reverse("reader:home"): 1 + 4,
        # years for the filter, count, issues, industries for the filter
        reverse("reader:issues"): 1 + 4,
        # industries with counts
        reverse("reader:industries"): 1 + 1,
        # whether the reader follows it (the page's key), industry, count, articles
        reverse("reader:industry", args=["next-generation-it"]): 1 + 4,
        # issue, contents, their corrections
        reverse("reader:issue_print", args=[2025, 1]): 1 + 3,
    }
    client.get(reverse("reader:profile"))  # puts the session and the user into the cache
    for url, queries in expected.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200, url


def test_cached_pages_change_as_soon_as_an_edit_is_saved(
    client, enterprise, reviewer, issue, django_capture_on_commit_callbacks
):
    article = issue.articles.get(title="第一篇")
    client.force_login(enterprise)
    assert "正文" in client.get(article.get_absolute_url()).content.decode()
    assert "第一篇" in client.get(issue.get_absolute_url()).content.decode()

    client.force_login(reviewer)
    article.refresh_from_db()
    data = {
        "title": "改过的标题", "subtitle": "", "source": "", "author": "",
        "edit_version": article.version, "issue": issue.pk, "section": article.section_id,
        "position": article.position, "visibility": Article.Visibility.ALL, "summary": "",
        "body": "<p>更正后的正文</p>", "correction_note": "正文有误，已更正。",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302

    client.force_login(enterprise)
    assert "更正后的正文" in client.get(article.get_absolute_url()).content.decode()
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "改过的标题" in page
    assert "第一篇" not in page


def test_a_page_cached_for_one_audience_is_never_served_to_another(
    client_for, leader, enterprise, staff, issue
):
    secret = issue.articles.get(title="领导专阅")
    assert "领导专阅" in client_for(staff).get(issue.get_absolute_url()).content.decode()
    leader_page = client_for(leader).get(issue.get_absolute_url()).content.decode()
    assert "领导专阅" in leader_page
    assert reverse("admin:index") not in leader_page  # the staff version stays with staff
    enterprise_client = client_for(enterprise)
    assert "领导专阅" not in enterprise_client.get(issue.get_absolute_url()).content.decode()
    assert enterprise_client.get(secret.get_absolute_url()).status_code == 404


def test_a_withdrawn_issue_is_not_served_from_the_cache(
    client_for, enterprise, reviewer, issue, django_capture_on_commit_callbacks
):
    from apps.workflow import steps

    article = issue.articles.get(title="第一篇")
    client = client_for(enterprise)
    assert client.get(issue.get_absolute_url()).status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        steps.perform(issue, "withdraw", by=reviewer, comment="更正")
    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
