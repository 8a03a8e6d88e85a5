import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.articles.models import Article, Section
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def png(size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def issue_form(**overrides):
    data = {
        "year": "2025",
        "number": "3",
        "total_number": "",
        "title": "新能源汽车专刊",
        "editor_note": "<p>编者按</p>",
        "status": Issue.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "articles-TOTAL_FORMS": "0",
        "articles-INITIAL_FORMS": "0",
        "articles-MIN_NUM_FORMS": "0",
        "articles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_is_in_chinese(admin_client_):
    page = admin_client_.get(reverse("admin:index")).content.decode()
    assert "编辑工作台" in page
    assert "期刊" in page
    assert "文章" in page


def test_issue_change_page_lists_articles_by_section_and_position(admin_client_):
    issue = IssueFactory()
    general, trends = (
        Section.objects.get(slug="general-news"),
        Section.objects.get(slug="industry-trends"),
    )
    ArticleFactory(issue=issue, section=trends, position=1, title="趋势甲")
    ArticleFactory(issue=issue, section=general, position=2, title="要闻乙")
    ArticleFactory(issue=issue, section=general, position=1, title="要闻甲")

    page = admin_client_.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    positions = [page.index(title) for title in ["要闻甲", "要闻乙", "趋势甲"]]
    assert positions == sorted(positions)


def test_rich_text_fields_use_ckeditor_5(admin_client_):
    page = admin_client_.get(reverse("admin:articles_article_add")).content.decode()
    assert "django_ckeditor_5/dist/bundle.js" in page
    assert 'class="django_ckeditor_5"' in page
    assert reverse("editor_image_upload") in page
    # Source editing would let raw HTML past the editor; it stays off.
    assert "sourceEditing" not in page
    assert "htmlSupport" not in page


def test_article_changelist_filters_and_searches(admin_client_):
    issue = IssueFactory()
    ArticleFactory(issue=issue, title="扫地机器人拿下订单", source="深圳特区报")
    ArticleFactory(issue=issue, title="生成式人工智能", status=Article.Status.REVIEW)
    url = reverse("admin:articles_article_changelist")

    page = admin_client_.get(url, {"q": "深圳特区报"}).content.decode()
    assert "扫地机器人拿下订单" in page
    assert "生成式人工智能" not in page

    page = admin_client_.get(url, {"status__exact": Article.Status.REVIEW}).content.decode()
    assert "生成式人工智能" in page
    assert "扫地机器人拿下订单" not in page
    filters = re.findall(r'data-filter-title="([^"]+)"', page)
    assert filters == ["状态", "栏目", "所属期次", "相关产业", "阅读范围"]


def test_issue_and_industry_autocomplete(admin_client_):
    IssueFactory(year=2023, number=12, total_number=12)
    response = admin_client_.get(
        reverse("admin:autocomplete"),
        {"term": "2023", "app_label": "articles", "model_name": "article", "field_name": "issue"},
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["2023年第12期（总第12期）"]
    response = admin_client_.get(
        reverse("admin:autocomplete"),
        {
            "term": "新",
            "app_label": "articles",
            "model_name": "article",
            "field_name": "industries",
        },
    )
    names = {row["text"] for row in response.json()["results"]}
    assert {"新一代信息技术", "新材料", "新能源汽车"} <= names


def test_cover_upload_is_reencoded_with_a_server_chosen_name(admin_client_, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cover = SimpleUploadedFile("我的封面.png", png() + b"<script>alert(1)</script>")
    response = admin_client_.post(
        reverse("admin:issues_issue_add"), issue_form(cover=cover), follow=True
    )
    assert response.status_code == 200
    issue = Issue.objects.get(year=2025, number=3)
    assert issue.cover.name.startswith("covers/")
    assert "我的封面" not in issue.cover.name
    assert b"<script>" not in issue.cover.read()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not an image at all", "无法识别该图片"),
        (None, "像素尺寸过大"),
    ],
)
def test_bad_cover_is_refused_and_the_form_keeps_what_was_typed(
    admin_client_, settings, tmp_path, content, message
):
    settings.MEDIA_ROOT = tmp_path
    if content is None:
        buffer = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buffer, format="PNG", optimize=True)
        content = buffer.getvalue()
    response = admin_client_.post(
        reverse("admin:issues_issue_add"),
        issue_form(cover=SimpleUploadedFile("cover.png", content)),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="新能源汽车专刊"' in page
    assert not Issue.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_duplicate_issue_number_is_refused_in_chinese(admin_client_):
    IssueFactory(year=2025, number=3)
    response = admin_client_.post(reverse("admin:issues_issue_add"), issue_form())
    assert response.status_code == 200
    assert "该年份已有相同期号的期刊" in response.content.decode()
    assert Issue.objects.count() == 1


def test_admin_changelists_render(admin_client_):
    for name in [
        "issues_issue",
        "articles_article",
        "articles_section",
        "articles_industry",
        "articles_industrygroup",
        "subscribers_subscriber",
        "accounts_user",
    ]:
        assert admin_client_.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
