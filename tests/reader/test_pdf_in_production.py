"""The PDF keeps its stylesheet, the reader's mark and page numbers under production storage."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from apps.articles.models import Article, Section
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    # Only the project's own files (the print stylesheet): the admin's would only take time.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    call_command("collectstatic", interactive=False, verbosity=0)


def test_every_page_carries_the_readers_mark_and_its_number(client_for, leader, manifest_storage):
    issue = IssueFactory(visible=True, year=2025, number=6)
    section = Section.objects.first()
    long_body = "".join(
        f"<p>第{n}段：储能产业规模持续扩大，应用场景不断丰富。" * 6 + "</p>" for n in range(30)
    )
    for position in range(1, 5):
        ArticleFactory(
            issue=issue,
            section=section,
            position=position,
            title=f"长文{position}",
            body=long_body,
            status=Article.Status.PUBLISHED,
        )
    leader.last_name, leader.first_name = "赵", "市长"
    leader.save()

    response = client_for(leader).get(reverse("reader:issue_pdf", args=[2025, 6]))
    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert "赵市长" in text, number  # the reader's mark, on every page
        if number > 1:  # the first page, the masthead, has no number
            assert f"第 {number} 页" in text, number
