"""The issue's PDF: rendered once per audience and content revision, stamped per reader."""

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from apps.articles.models import Article, Section
from apps.core.revisions import Counter, read
from apps.reader import pdf_cache
from apps.reader.printing import mark_overlay
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LONG_BODY = "".join(
    f"<p>第{n}段：储能产业规模持续扩大，应用场景不断丰富。" * 6 + "</p>" for n in range(12)
)


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2025, number=8)
    section = Section.objects.first()
    for position, (title, visibility) in enumerate(
        [
            ("公开的长文", Article.Visibility.ALL),
            ("领导专阅的长文", Article.Visibility.LEADERSHIP),
            ("第三篇长文", Article.Visibility.ALL),
        ],
        start=1,
    ):
        ArticleFactory(
            issue=issue, section=section, position=position, title=title, body=LONG_BODY,
            status=Article.Status.PUBLISHED, visibility=visibility,
        )  # fmt: skip
    return issue


@pytest.fixture
def renders(monkeypatch):
    """Count the whole-issue renders (WeasyPrint over the issue, not the marks)."""
    calls = []
    original = pdf_cache.render_pdf

    def counted(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(pdf_cache, "render_pdf", counted)
    return calls


def named(kind, last_name, organization):
    return SubscriberFactory(
        kind=kind, organization=organization, user__last_name=last_name, user__first_name=""
    ).user


def pdf_pages(client, issue):
    response = client.get(reverse("reader:issue_pdf", args=[issue.year, issue.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def test_each_reader_gets_their_mark_on_every_page_of_the_cached_document(client, issue, renders):
    first = named(Subscriber.Kind.LEADERSHIP, "赵市长", "许昌市人民政府")
    second = named(Subscriber.Kind.LEADERSHIP, "孙局长", "许昌市科学技术局")
    client.force_login(first)
    first_pages = pdf_pages(client, issue)
    client.force_login(second)
    second_pages = pdf_pages(client, issue)

    assert len(renders) == 1  # the second reader's copy came from the cache
    assert len(second_pages) == len(first_pages) >= 3
    for number, text in enumerate(second_pages, start=1):
        assert "孙局长 · 许昌市科学技术局" in text, number
        assert "赵市长" not in text and "许昌市人民政府" not in text, number
    assert all("赵市长 · 许昌市人民政府" in text for text in first_pages)


def test_a_mark_is_set_in_its_own_small_font_and_any_name_still_prints():
    # The mark font holds GB 2312: a copy carries a small subset of it, not of the whole CJK
    # collection; a name beyond it (喆 is not in GB 2312) falls back to Noto, and still reads.
    common = mark_overlay("孙局长 · 许昌市科学技术局 · 2026-11-26 20:00")
    rare = mark_overlay("欧阳喆 · 许昌市科学技术局 · 2026-11-26 20:00")
    assert len(common) < 40_000
    assert "欧阳喆 · 许昌市科学技术局" in PdfReader(io.BytesIO(rare)).pages[0].extract_text()
    fonts = PdfReader(io.BytesIO(common)).pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 1  # the mark font alone: nothing came from the fallback


def test_the_mark_sits_in_the_bottom_margin_clear_of_the_page_number():
    page = PdfReader(
        io.BytesIO(mark_overlay("孙局长 · 许昌市科学技术局 · 2026-11-26 20:00"))
    ).pages[0]
    height = float(page.mediabox.height)
    positions = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            # Text space to page space: the text matrix, then the current transformation.
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            positions.append((x, y))

    page.extract_text(visitor_text=visit)
    assert positions
    mm = 72 / 25.4
    for x, y in positions:
        y_from_bottom = y if y < height / 2 else height - y
        assert y_from_bottom < 24 * mm  # below the text (print.css: bottom margin 24mm)
        assert x > (105 + 10) * mm  # right of the page number, centred at 105mm


def test_an_enterprise_readers_pdf_lacks_leadership_articles_cached_for_leaders(
    client, issue, renders
):
    client.force_login(named(Subscriber.Kind.LEADERSHIP, "赵市长", "许昌市人民政府"))
    assert "领导专阅的长文" in "".join(pdf_pages(client, issue))
    client.force_login(named(Subscriber.Kind.ENTERPRISE, "钱经理", "许昌某新材料有限公司"))
    text = "".join(pdf_pages(client, issue))
    assert "公开的长文" in text and "第三篇长文" in text
    assert "领导专阅的长文" not in text
    assert len(renders) == 2  # one document per audience


def test_an_edit_appears_in_the_next_download(client, enterprise, issue, renders):
    client.force_login(enterprise)
    assert "公开的长文" in "".join(pdf_pages(client, issue))
    # However the change is made (here an update() no signal sees), the counter moves.
    Article.objects.filter(title="公开的长文").update(title="改过的标题")
    text = "".join(pdf_pages(client, issue))
    assert "改过的标题" in text and "公开的长文" not in text
    assert len(renders) == 2


def test_a_withdrawn_issues_pdf_is_never_served(
    client, enterprise, reviewer, issue, django_capture_on_commit_callbacks
):
    from apps.workflow import steps

    client.force_login(enterprise)
    url = reverse("reader:issue_pdf", args=[issue.year, issue.number])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        steps.perform(issue, "withdraw", by=reviewer, comment="更正")
    assert client.get(url).status_code == 404
    # And the copy in the cache is dead too: it was made under an older content revision.
    stored = cache.get(pdf_cache.cache_key(issue, enterprise))
    assert stored is not None
    assert not pdf_cache._usable(stored, read(Counter.CONTENT), issue.pk)


def test_an_unreachable_cache_means_a_fresh_render_not_an_error(
    client, enterprise, issue, settings, renders
):
    # Redis through the production backend, on a port where nothing listens.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"},
    }
    client.force_login(enterprise)
    for _ in range(2):
        pages = pdf_pages(client, issue)
        assert all(enterprise.subscriber.organization in text for text in pages)
    assert len(renders) == 2


def test_a_value_left_by_another_release_is_rendered_again(client, enterprise, issue, renders):
    cache.set(pdf_cache.cache_key(issue, enterprise), ("old", b"%PDF-garbage"))
    client.force_login(enterprise)
    assert "公开的长文" in "".join(pdf_pages(client, issue))
    assert len(renders) == 1


@pytest.mark.parametrize("size", [3, 12])
def test_a_cached_download_runs_a_fixed_number_of_queries(
    client, enterprise, django_assert_num_queries, size
):
    issue = IssueFactory(visible=True, year=2025, number=9)
    sections = list(Section.objects.all())
    for index in range(size):
        ArticleFactory(
            issue=issue, section=sections[index % 4], position=index + 1,
            status=Article.Status.PUBLISHED,
        )  # fmt: skip
    client.force_login(enterprise)
    client.get(reverse("reader:profile"))  # puts the session and the user into the cache
    url = reverse("reader:issue_pdf", args=[issue.year, issue.number])
    # The counters, the issue, its articles and their corrections.
    with django_assert_num_queries(1 + 3):
        assert client.get(url).status_code == 200
    # From the cache: the counters and the issue (access), nothing else.
    with django_assert_num_queries(1 + 1):
        assert client.get(url).status_code == 200
