"""The sample issue's PDF as a reader downloads it: mark, contents with page numbers, pictures.

With poppler-utils installed, the pages are rendered to PNG in artifacts/pdf/ (kept by CI) to
be looked at, and the pictures' resolution is checked to be the same across and down (a
picture drawn out of proportion has different horizontal and vertical resolutions).
"""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from apps.articles.models import Article
from apps.issues.models import Issue

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "pdf"


@pytest.fixture
def sample_issue(settings, tmp_path):
    settings.DEBUG = True  # load_demo refuses otherwise
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0)
    return Issue.objects.get(year=2023, number=12)


def with_wide_picture(issue, media_root):
    """Put a picture wider than the column into the first article (as an editor's upload)."""
    folder = Path(media_root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1280, 720), (168, 32, 26)).save(folder / "wide.png")
    article = Article.objects.filter(issue=issue).order_by("section__order", "position").first()
    picture = '<p><img src="/media/uploads/wide.png" width="1280" height="720" alt="示意图"></p>'
    Article.objects.filter(pk=article.pk).update(body=picture + article.body)


def test_the_sample_issue_pdf_looks_like_a_printed_bulletin(client, sample_issue, settings):
    from django.contrib.auth import get_user_model

    with_wide_picture(sample_issue, settings.MEDIA_ROOT)
    client.force_login(get_user_model().objects.get(username="leader"))
    response = client.get(reverse("reader:issue_pdf", args=[2023, 12]))
    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]

    assert len(pages) >= 8
    assert all("许昌市人民政府" in text for text in pages)  # the leader's mark, every page
    # The contents: each title followed by leader dots and the page it starts on.
    contents = pages[0]
    assert "许昌竞争情报快递" in contents and "目" in contents
    numbered = re.findall(r"(\S+?) ?\.{5,} ?(\d+)", contents)
    assert len(numbered) >= 5, contents
    for title, number in numbered:
        assert title[-4:] in pages[int(number) - 1], (title, number)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "sample-issue-leader.pdf"
    path.write_bytes(response.content)
    if shutil.which("pdfimages"):
        listing = subprocess.run(  # noqa: S603
            ["pdfimages", "-list", str(path)],  # noqa: S607
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()[2:]  # fmt: skip
        assert listing, "the picture is missing"
        for row in listing:
            x_ppi, y_ppi = row.split()[12:14]
            assert x_ppi == y_ppi, row  # drawn in proportion
    if shutil.which("pdftoppm"):
        for old in ARTIFACTS.glob("sample-issue-leader-*.png"):
            old.unlink()
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", "60", "-png", str(path), str(ARTIFACTS / "sample-issue-leader")],  # noqa: S607
            check=True,
        )
        assert len(list(ARTIFACTS.glob("sample-issue-leader-*.png"))) == len(pages)
