"""A staff session that has not passed the second factor is not staff, wherever access is asked.

With the second factor required (production), staff who signed in with a password alone (a
phished password, a reset from a mailbox someone read) read what their account's subscription
allows, or nothing: the reader pages send them to the second factor. Every place that asks
the access rule is covered: pages, lists, counts, search, PDF, print, media, proofs,
previews, the editor's upload and the page cache's key.
"""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.search.indexing import refresh
from apps.subscribers.models import Subscriber
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    IssueFactory,
    StaffFactory,
    SubscriberFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture(autouse=True)
def second_factor_required(settings, tmp_path):
    settings.OTP_REQUIRED = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture
def content():
    issue = IssueFactory(visible=True)
    draft_issue = IssueFactory(status=Issue.Status.DRAFT)
    return {
        "issue": issue,
        "draft_issue": draft_issue,
        "visible": ArticleFactory(
            issue=issue,
            status=Article.Status.PUBLISHED,
            title="公开的科技动态",
            body="<p>新材料产业</p>",
        ),
        "leadership": ArticleFactory(
            issue=issue,
            status=Article.Status.PUBLISHED,
            title="领导参阅的内部情况",
            body="<p>新材料产业内部研判</p>",
            visibility=Article.Visibility.LEADERSHIP,
        ),
        "draft": ArticleFactory(
            issue=draft_issue, status=Article.Status.DRAFT, title="未发布的草稿"
        ),
    }


def verify(client, user):
    """Pass the second factor in this client's session, as the back office's login does."""
    device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def subscribed_staff(username="bianji"):
    """A staff account that also holds an enterprise reader's subscription."""
    user = SubscriberFactory(user__username=username, kind=Subscriber.Kind.ENTERPRISE).user
    user.is_staff = True
    user.save()
    return user


def test_a_password_alone_is_sent_to_the_second_factor_and_back(client, content, reviewer):
    client.force_login(reviewer)
    issue = content["issue"]
    page = issue.get_absolute_url()

    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)
    assert "next=" in response["Location"]
    assert content["leadership"].title not in client.get(page, follow=True).content.decode()

    device = TOTPDevice.objects.create(user=reviewer, name="身份验证器", confirmed=True)
    signed = client.post(
        ADMIN_LOGIN,
        {
            "username": reviewer.username,
            "password": PASSWORD,
            "otp_token": f"{totp(device.bin_key):06d}",
            "next": page,
        },
    )
    assert signed.status_code == 302
    assert signed["Location"] == page
    assert content["leadership"].title in client.get(page).content.decode()


@pytest.mark.parametrize("verified", [False, True])
def test_pages_lists_counts_and_search(client, content, verified):
    """A subscribed staff account reads as its subscription allows until it is verified."""
    user = subscribed_staff()
    client.force_login(user)
    if verified:
        verify(client, user)
    issue = content["issue"]
    leadership = content["leadership"]
    refresh(Article.objects.values_list("pk", flat=True))

    assert client.get(leadership.get_absolute_url()).status_code == (200 if verified else 404)
    for url in [
        issue.get_absolute_url(),
        reverse("reader:issue_print", args=[issue.year, issue.number]),
        reverse("reader:search") + "?q=新材料",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert (leadership.title in page) == verified, url
        assert content["visible"].title in page, url
    for url in [reverse("reader:home"), reverse("reader:issues"), reverse("reader:industries")]:
        response = client.get(url)
        assert response.status_code == 200, url
        if not verified:
            assert leadership.title not in response.content.decode(), url


def test_the_pdf_is_refused_without_the_second_factor(client, content):
    issue = content["issue"]
    url = reverse("reader:issue_pdf", args=[issue.year, issue.number])

    password_only = StaffFactory(username="nofactor")
    client.force_login(password_only)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def stored_png(folder):
    from django.conf import settings

    path = f"{folder}/2026/12/{uuid.uuid4().hex}.png"
    target = settings.MEDIA_ROOT / path
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3), (200, 30, 30)).save(target, format="PNG")
    return path


def test_a_drafts_images_are_for_verified_staff_only(client, content):
    path = stored_png("editor")
    draft = content["draft"]
    draft.body = f'<p>草稿</p><figure class="image"><img src="/media/{path}" alt="图"></figure>'
    draft.save()
    user = StaffFactory(username="nofactor")
    client.force_login(user)
    assert client.get(f"/media/{path}").status_code == 404
    verify(client, user)
    assert client.get(f"/media/{path}").status_code == 200


def test_proofs_previews_and_uploads_ask_for_the_second_factor(client, content, reviewer):
    issue = content["draft_issue"]
    client.force_login(reviewer)
    for url in [
        reverse("reader:issue_proof_print", args=[issue.pk]),
        reverse("reader:issue_proof_pdf", args=[issue.pk]),
        reverse("admin:articles_article_change", args=[content["draft"].pk]) + "preview/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(ADMIN_LOGIN), url

    image = SimpleUploadedFile("a.png", b"\x89PNG\r\n", content_type="image/png")
    upload = client.post(reverse("editor_image_upload"), {"upload": image})
    assert upload.status_code == 403

    verify(client, reviewer)
    assert client.get(reverse("reader:issue_proof_print", args=[issue.pk])).status_code == 200


def test_a_page_cached_for_verified_staff_never_reaches_a_password_only_session(client, content):
    issue = content["issue"]
    staff = StaffFactory(username="verified")
    client.force_login(staff)
    verify(client, staff)
    assert content["leadership"].title in client.get(reverse("reader:home")).content.decode()

    client.logout()
    client.force_login(subscribed_staff("passwordonly"))
    home = client.get(reverse("reader:home"))
    assert home.status_code == 200
    assert content["leadership"].title not in home.content.decode()
    assert content["visible"].title in client.get(issue.get_absolute_url()).content.decode()
