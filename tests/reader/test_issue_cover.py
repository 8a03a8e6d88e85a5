"""The issue's cover on the reader's pages: issue, archive, print and PDF.

Each image loads for a reader of the issue (the media view's check) and carries its size, so
a phone keeps its place while it loads; the pages keep their fixed number of queries.
"""

import io
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html
from PIL import Image
from pypdf import PdfReader

from apps.articles.models import Article
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def stored_cover(media_root, size=(124, 175)):
    """Write a real PNG where uploaded covers go and return its name in the storage."""
    name = f"covers/2025/03/{uuid.uuid4().hex}.png"
    target = media_root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (168, 32, 26)).save(target, format="PNG")
    return name


@pytest.fixture
def issue(media_root):
    issue = IssueFactory(visible=True, year=2025, number=3, cover=stored_cover(media_root))
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="本期文章")
    return issue


def images(response, css_class=None):
    assert response.status_code == 200
    page = html.fromstring(response.content.decode())
    if css_class:
        return page.xpath(f'//img[contains(concat(" ", @class, " "), " {css_class} ")]')
    return page.xpath("//img")


def test_the_issue_page_shows_the_cover_with_its_size(client_for, enterprise, issue):
    client = client_for(enterprise)
    [cover] = images(client.get(issue.get_absolute_url()), "issue-cover")
    assert cover.get("src") == f"/media/{issue.cover.name}"
    assert (cover.get("width"), cover.get("height")) == ("124", "175")
    assert cover.get("alt") == "2025年第3期封面"
    # The reader may load it: the cover counts as used by the issue (apps.uploads).
    response = client.get(cover.get("src"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_the_home_page_shows_the_latest_cover(client_for, enterprise, issue):
    [cover] = images(client_for(enterprise).get(reverse("reader:home")), "issue-cover")
    assert cover.get("src") == f"/media/{issue.cover.name}"


def test_the_archive_shows_each_cover_in_a_fixed_box(client_for, enterprise, issue, media_root):
    without = IssueFactory(visible=True, year=2025, number=2)
    client = client_for(enterprise)
    response = client.get(reverse("reader:issues"))
    [thumbnail] = images(response)
    assert thumbnail.get("src") == f"/media/{issue.cover.name}"
    assert (thumbnail.get("width"), thumbnail.get("height")) == ("60", "84")
    assert thumbnail.get("loading") == "lazy"
    assert thumbnail.getparent().get("href") == issue.get_absolute_url()
    assert without.get_absolute_url() in response.content.decode()
    assert client.get(thumbnail.get("src")).status_code == 200


def test_the_print_page_and_the_pdf_show_the_cover(client_for, enterprise, issue):
    client = client_for(enterprise)
    [cover] = images(client.get(reverse("reader:issue_print", args=[2025, 3])), "print-cover-image")
    assert cover.get("src") == f"/media/{issue.cover.name}"
    assert (cover.get("width"), cover.get("height")) == ("124", "175")

    pdf = client.get(reverse("reader:issue_pdf", args=[2025, 3]))
    first_page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert len(first_page.images) == 1


def test_a_missing_cover_file_leaves_the_page_readable(client_for, enterprise, issue):
    issue.cover.storage.delete(issue.cover.name)
    [cover] = images(client_for(enterprise).get(issue.get_absolute_url()), "issue-cover")
    assert cover.get("width") is None  # no size to give, nothing broken


def test_a_reader_who_may_not_read_the_issue_gets_no_cover(client_for, issue):
    today = timezone.localdate()
    lapsed = SubscriberFactory(
        user__username="lapsed1",
        kind=Subscriber.Kind.ENTERPRISE,
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    ).user
    assert client_for(lapsed).get(f"/media/{issue.cover.name}").status_code == 404


def test_a_new_cover_shows_at_once_on_the_cached_issue_page(
    client_for, enterprise, issue, media_root
):
    client = client_for(enterprise)
    client.get(issue.get_absolute_url())  # now in the page cache
    issue.cover = stored_cover(media_root, size=(200, 100))
    issue.save()
    [cover] = images(client.get(issue.get_absolute_url()), "issue-cover")
    assert cover.get("src") == f"/media/{issue.cover.name}"
    assert (cover.get("width"), cover.get("height")) == ("200", "100")


@pytest.mark.parametrize("size", [3, 30])
def test_covers_add_no_query(client_for, enterprise, media_root, django_assert_num_queries, size):
    for number in range(1, size + 1):
        issue = IssueFactory(visible=True, year=2025, number=number, cover=stored_cover(media_root))
        ArticleFactory(issue=issue, status=Article.Status.PUBLISHED)
    client = client_for(enterprise)
    client.get(reverse("reader:profile"))  # puts the session and the user into the cache
    # The same numbers as without covers (tests/issues/test_reader_pages.py).
    expected = {
        reverse("reader:home"): 1 + 3,  # no followed industries: their articles are not asked
        reverse("reader:issues"): 1 + 4,
        reverse("reader:issue_print", args=[2025, 1]): 1 + 3,
    }
    for url, queries in expected.items():
        with django_assert_num_queries(queries):
            images(client.get(url))
