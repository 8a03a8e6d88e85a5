"""Uploaded files follow the content that uses them (/media/<path>).

A file is sent to staff, and to a reader who may read at least one issue or article that uses
it now (`visible_to`); everyone else signed in gets 404, an anonymous visitor the login page.
"""

import importlib
import io
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as global_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from apps.uploads.access import may_see_file
from apps.uploads.models import ImageUse
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCEL_PREFIX = "/protected-media/"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(params=["app", "accel"])
def mode(request, settings):
    """Serve the file from the app, then through nginx's X-Accel-Redirect."""
    settings.MEDIA_ACCEL_REDIRECT = ACCEL_PREFIX if request.param == "accel" else ""
    return request.param


@pytest.fixture
def expired():
    today = timezone.localdate()
    return SubscriberFactory(
        kind=Subscriber.Kind.LEADERSHIP,
        user__username="lapsed1",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    ).user


def stored_png(media_root, folder):
    """Write a real small PNG under `folder` (as the upload endpoint names files) and return
    its path relative to MEDIA_ROOT and its bytes."""
    path = f"{folder}/2025/03/{uuid.uuid4().hex}.png"
    target = media_root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3), (200, 30, 30)).save(target, format="PNG")
    return path, target.read_bytes()


def html_with(*paths):
    """Rich text as CKEditor 5 writes it, showing the given files."""
    figures = "".join(
        f'<figure class="image"><img src="/media/{path}" alt="图表"></figure>' for path in paths
    )
    return f"<p>正文</p>{figures}"


def recorded(item):
    return set(item.image_uses.values_list("path", flat=True))


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- The matrix: upload kind x state of the content x reader --------------------------------

KINDS = ["cover", "article_body", "editor_note"]
STATES = ["draft", "review", "published", "scheduled", "withdrawn", "leadership", "unused"]
READERS = ["anonymous", "enterprise", "leader", "expired", "staff"]


def issue_fields(state):
    now = timezone.now()
    if state == "draft":
        return {"status": Issue.Status.DRAFT}
    if state == "review":
        return {"status": Issue.Status.REVIEW}
    if state == "scheduled":
        return {"status": Issue.Status.PUBLISHED, "published_at": now + timedelta(days=1)}
    if state == "withdrawn":
        return {"status": Issue.Status.WITHDRAWN, "published_at": now - timedelta(days=3)}
    return {"status": Issue.Status.PUBLISHED, "published_at": now - timedelta(days=1)}


def content_using(kind, state, path, other_path):
    """Create the issue or article that uses `path` in `state`; "unused" means it did, until
    an edit replaced it with `other_path`."""
    if kind == "article_body":
        issue = IssueFactory(**issue_fields(state))
        article = ArticleFactory(
            issue=issue,
            body=html_with(path),
            status={"draft": Article.Status.DRAFT, "review": Article.Status.REVIEW}.get(
                state, Article.Status.PUBLISHED
            ),
            visibility=(
                Article.Visibility.LEADERSHIP if state == "leadership" else Article.Visibility.ALL
            ),
        )
        if state == "unused":
            article.body = html_with(other_path)
            article.save()
        return
    if kind == "cover":
        issue = IssueFactory(cover=path, **issue_fields(state))
    else:
        issue = IssueFactory(editor_note=html_with(path), **issue_fields(state))
    if state == "leadership":
        # The issue's only article is for leaders; the issue itself, and its images, are not.
        ArticleFactory(
            issue=issue, status=Article.Status.PUBLISHED, visibility=Article.Visibility.LEADERSHIP
        )
    if state == "unused":
        if kind == "cover":
            issue.cover = other_path
        else:
            issue.editor_note = html_with(other_path)
        issue.save()


def may_see(reader, kind, state):
    if reader == "staff":
        return True
    if reader == "leader":
        return state in {"published", "leadership"}
    if reader == "enterprise":
        # Leadership-only is a property of articles: an issue's cover and note are for all.
        return state == "published" or (state == "leadership" and kind != "article_body")
    return False


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_media_matrix(client, client_for, request, media_root, mode, kind, state, reader):
    folder = "covers" if kind == "cover" else "editor"
    path, png = stored_png(media_root, folder)
    other_path, _ = stored_png(media_root, folder)
    content_using(kind, state, path, other_path)
    url = f"/media/{path}"

    if reader == "anonymous":
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert "X-Accel-Redirect" not in response
        return

    response = client_for(request.getfixturevalue(reader)).get(url)
    if not may_see(reader, kind, state):
        assert response.status_code == 404
        assert "X-Accel-Redirect" not in response
        assert png not in body(response)
        assert "max-age" not in response.get("Cache-Control", "")
        return

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    if mode == "accel":
        assert response["X-Accel-Redirect"] == ACCEL_PREFIX + path
        assert body(response) == b""
    else:
        assert "X-Accel-Redirect" not in response
        assert body(response) == png


# --- The record follows the content ---------------------------------------------------------


def test_the_record_follows_edits_that_add_and_remove_images(media_root):
    first, _ = stored_png(media_root, "editor")
    second, _ = stored_png(media_root, "editor")
    cover, _ = stored_png(media_root, "covers")

    article = ArticleFactory(body="<p>暂无图片</p>")
    assert recorded(article) == set()
    article.body = html_with(first)
    article.save()
    assert recorded(article) == {first}
    article.body = html_with(first, second)
    article.save()
    assert recorded(article) == {first, second}
    article.body = html_with(second)
    article.save()
    assert recorded(article) == {second}

    issue = IssueFactory(cover=cover, editor_note=html_with(first))
    assert recorded(issue) == {cover, first}
    issue.cover = ""
    issue.editor_note = "<p>编者的话</p>"
    issue.save()
    assert recorded(issue) == set()

    article.delete()
    assert not ImageUse.objects.filter(path=second).exists()


def test_a_link_to_a_file_counts_as_a_use_and_foreign_urls_do_not(media_root):
    linked, _ = stored_png(media_root, "editor")
    article = ArticleFactory(
        body=(
            f'<p><a href="/media/{linked}">查看大图</a></p>'
            '<p><img src="/static/logo.png"><img src="/media/../config/settings.py">'
            '<a href="https://example.com/media/editor/x.png">外部链接</a></p>'
        )
    )
    assert recorded(article) == {linked}


def test_a_save_of_other_fields_leaves_the_record_alone(media_root):
    path, _ = stored_png(media_root, "editor")
    article = ArticleFactory(body=html_with(path))
    article.status = Article.Status.REVIEW
    # A workflow step saves only the fields it changes: no query about images.
    with CaptureQueriesContext(connection) as queries:
        article.save(update_fields=["status"])
    assert not [query for query in queries if "uploads_imageuse" in query["sql"]]
    assert recorded(article) == {path}


def test_an_image_added_and_removed_by_edits_is_served_accordingly(
    client_for, enterprise, media_root
):
    path, _ = stored_png(media_root, "editor")
    article = ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body="<p>正文</p>"
    )
    reader = client_for(enterprise)
    assert reader.get(f"/media/{path}").status_code == 404

    article.body = html_with(path)
    article.save()
    assert reader.get(f"/media/{path}").status_code == 200

    article.body = "<p>图片已删除</p>"
    article.save()
    assert reader.get(f"/media/{path}").status_code == 404


@pytest.mark.parametrize(
    ("readable", "unreadable"),
    [
        ("published_article", "draft_article"),
        ("visible_issue_note", "draft_article"),
        ("published_article", "scheduled_issue_cover"),
    ],
)
@pytest.mark.parametrize("readable_first", [True, False])
def test_a_file_used_by_two_items_is_served_if_either_is_readable(
    client_for, enterprise, media_root, readable, unreadable, readable_first
):
    path, _ = stored_png(media_root, "covers" if "cover" in unreadable else "editor")
    makers = {
        "published_article": lambda: ArticleFactory(
            issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body=html_with(path)
        ),
        "draft_article": lambda: ArticleFactory(body=html_with(path)),
        "visible_issue_note": lambda: IssueFactory(visible=True, editor_note=html_with(path)),
        "scheduled_issue_cover": lambda: IssueFactory(
            cover=path,
            status=Issue.Status.PUBLISHED,
            published_at=timezone.now() + timedelta(days=2),
        ),
    }
    order = [readable, unreadable] if readable_first else [unreadable, readable]
    items = dict(zip(order, [makers[name]() for name in order], strict=True))
    reader = client_for(enterprise)
    assert reader.get(f"/media/{path}").status_code == 200

    # The readable one stops using it: the other use alone does not let the reader in.
    item = items[readable]
    if isinstance(item, Article):
        item.body = "<p>正文</p>"
    else:
        item.editor_note = "<p>编者的话</p>"
    item.save()
    assert ImageUse.objects.filter(path=path).count() == 1
    assert reader.get(f"/media/{path}").status_code == 404


def test_a_leadership_article_and_a_draft_share_an_image(
    client_for, enterprise, leader, media_root
):
    path, _ = stored_png(media_root, "editor")
    ArticleFactory(body=html_with(path))
    ArticleFactory(
        issue=IssueFactory(visible=True),
        status=Article.Status.PUBLISHED,
        visibility=Article.Visibility.LEADERSHIP,
        body=html_with(path),
    )
    assert client_for(enterprise).get(f"/media/{path}").status_code == 404
    assert client_for(leader).get(f"/media/{path}").status_code == 200


def test_a_row_left_behind_by_an_update_gives_nothing_away(
    client_for, enterprise, staff, media_root
):
    path, _ = stored_png(media_root, "editor")
    cover, _ = stored_png(media_root, "covers")
    article = ArticleFactory(
        issue=IssueFactory(visible=True, cover=cover),
        status=Article.Status.PUBLISHED,
        body=html_with(path),
    )
    # QuerySet.update() sends no signal: the rows stay, but the content no longer uses them.
    Article.objects.filter(pk=article.pk).update(body="<p>图片已删除</p>")
    Issue.objects.filter(pk=article.issue_id).update(cover="")
    assert ImageUse.objects.filter(path__in=[path, cover]).count() == 2

    for url in (f"/media/{path}", f"/media/{cover}"):
        assert client_for(enterprise).get(url).status_code == 404
        assert client_for(staff).get(url).status_code == 200


def test_the_command_records_content_that_no_receiver_saw(client_for, enterprise, media_root):
    path, _ = stored_png(media_root, "editor")
    cover, _ = stored_png(media_root, "covers")
    stale, _ = stored_png(media_root, "editor")
    issue = IssueFactory(visible=True, editor_note=html_with(stale))
    [article] = Article.objects.bulk_create(
        [ArticleFactory.build(issue=issue, status=Article.Status.PUBLISHED, body=html_with(path))]
    )
    Issue.objects.filter(pk=issue.pk).update(cover=cover, editor_note="<p>编者的话</p>")
    reader = client_for(enterprise)
    assert reader.get(f"/media/{path}").status_code == 404
    assert reader.get(f"/media/{cover}").status_code == 404

    output = io.StringIO()
    call_command("record_image_uses", stdout=output)
    assert "已记录图片使用 2 处" in output.getvalue()

    assert recorded(article) == {path}
    assert recorded(issue) == {cover}
    assert reader.get(f"/media/{path}").status_code == 200
    assert reader.get(f"/media/{cover}").status_code == 200


def test_the_data_migration_records_existing_content(media_root):
    path, _ = stored_png(media_root, "editor")
    cover, _ = stored_png(media_root, "covers")
    article = ArticleFactory(body=html_with(path), issue=IssueFactory(cover=cover))
    ImageUse.objects.all().delete()  # as a database from before the uploads app

    migration = importlib.import_module("apps.uploads.migrations.0002_record_existing_uses")
    migration.record_existing_uses(global_apps, None)

    assert recorded(article) == {path}
    assert recorded(article.issue) == {cover}


def test_an_image_uploaded_in_the_editor_follows_its_article(
    client, editor, enterprise, media_root
):
    # The URL the upload endpoint hands to CKEditor is the one the record and the check use.
    png = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(png, format="PNG")
    client.force_login(editor)
    url = client.post(
        reverse("editor_image_upload"), {"upload": SimpleUploadedFile("图.png", png.getvalue())}
    ).json()["url"]
    article = ArticleFactory(
        issue=IssueFactory(visible=True),
        status=Article.Status.PUBLISHED,
        body=f'<figure class="image"><img src="{url}" alt=""></figure><p>正文</p>',
    )
    assert recorded(article) == {url.removeprefix("/media/")}
    client.force_login(enterprise)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_a_cover_uploaded_in_the_admin_follows_its_issue(client, enterprise, media_root):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(png, format="PNG")
    response = client.post(
        reverse("admin:issues_issue_add"),
        {
            "year": "2025",
            "number": "5",
            "total_number": "",
            "title": "封面测试",
            "editor_note": "<p>编者按</p>",
            "status": Issue.Status.DRAFT,
            "published_at_0": "",
            "published_at_1": "",
            "articles-TOTAL_FORMS": "0",
            "articles-INITIAL_FORMS": "0",
            "articles-MIN_NUM_FORMS": "0",
            "articles-MAX_NUM_FORMS": "1000",
            "cover": SimpleUploadedFile("封面.png", png.getvalue()),
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get(year=2025, number=5)
    assert recorded(issue) == {issue.cover.name}
    cover_url = issue.cover.url

    client.force_login(enterprise)
    assert client.get(cover_url).status_code == 404  # a draft's cover
    issue.status = Issue.Status.PUBLISHED
    issue.published_at = timezone.now() - timedelta(minutes=1)
    issue.save()
    assert client.get(cover_url).status_code == 200


# --- The check itself ------------------------------------------------------------------------


@pytest.mark.parametrize("uses", [1, 12])
def test_the_check_is_one_query_whatever_the_number_of_uses(
    enterprise, staff, media_root, django_assert_num_queries, uses
):
    path, _ = stored_png(media_root, "editor")
    for index in range(uses):
        if index % 2:
            IssueFactory(editor_note=html_with(path))  # drafts: not readable
        else:
            ArticleFactory(body=html_with(path))
    enterprise.subscriber  # noqa: B018 - loaded with the user on a request
    with django_assert_num_queries(1):
        assert not may_see_file(enterprise, path)
    ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body=html_with(path)
    )
    with django_assert_num_queries(1):
        assert may_see_file(enterprise, path)
    with django_assert_num_queries(0):
        assert may_see_file(staff, path)


def test_a_scheduled_cover_appears_at_its_time(client_for, enterprise, media_root):
    cover, _ = stored_png(media_root, "covers")
    at = timezone.now() + timedelta(hours=2)
    IssueFactory(cover=cover, status=Issue.Status.PUBLISHED, published_at=at)
    reader = client_for(enterprise)
    assert reader.get(f"/media/{cover}").status_code == 404
    with time_machine.travel(at + timedelta(minutes=1)):
        assert reader.get(f"/media/{cover}").status_code == 200


def test_revalidation_asks_again(client_for, enterprise, media_root):
    path, _ = stored_png(media_root, "editor")
    article = ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body=html_with(path)
    )
    reader = client_for(enterprise)
    first = reader.get(f"/media/{path}")
    assert first.status_code == 200
    modified = first["Last-Modified"]
    again = reader.get(f"/media/{path}", HTTP_IF_MODIFIED_SINCE=modified)
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"

    issue = article.issue
    issue.status = Issue.Status.WITHDRAWN
    issue.save()
    # The browser's copy is not confirmed any more: the check runs before the 304.
    assert reader.get(f"/media/{path}", HTTP_IF_MODIFIED_SINCE=modified).status_code == 404


def test_an_ended_subscription_and_a_suspension_count_at_once(client_for, enterprise, media_root):
    path, _ = stored_png(media_root, "editor")
    ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body=html_with(path)
    )
    reader = client_for(enterprise)
    assert reader.get(f"/media/{path}").status_code == 200

    subscription = enterprise.subscriber
    subscription.valid_until = timezone.localdate() - timedelta(days=1)
    subscription.save()
    assert reader.get(f"/media/{path}").status_code == 404

    subscription.valid_until = timezone.localdate() + timedelta(days=30)
    subscription.save()
    assert reader.get(f"/media/{path}").status_code == 200
    enterprise.is_active = False
    enterprise.save()
    response = reader.get(f"/media/{path}")  # signed out: the login page
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Names: forged paths, and the X-Accel-Redirect header --------------------------------------


@pytest.fixture
def secret(tmp_path):
    """A file beside MEDIA_ROOT that no path may reach."""
    target = tmp_path / "secret.txt"
    target.write_text("SECRET_KEY = 'do-not-serve'")
    return target


FORGED = [
    "/media/../secret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/%2E%2E%2Fsecret.txt",
    "/media/..%2fsecret.txt",
    "/media/editor/..%2f..%2fsecret.txt",
    "/media/editor/2025/../../../secret.txt",
    "/media/..%5csecret.txt",
    "/media/%2Fetc%2Fpasswd",
    "/media//etc/passwd",
    "/media/editor/2025/03/%00.png",
    "/media/editor%00/../../secret.txt",
    "/media/editor",
    "/media/editor/",
]


@pytest.mark.parametrize("reader", ["enterprise", "staff"])
@pytest.mark.parametrize("url", FORGED)
def test_forged_paths_answer_404(client_for, request, media_root, secret, mode, reader, url):
    stored_png(media_root, "editor")
    response = client_for(request.getfixturevalue(reader)).get(url)
    # A NUL character is refused at the door (config/bad_input.py) with 400.
    assert response.status_code == (400 if "%00" in url else 404)
    assert "X-Accel-Redirect" not in response
    assert b"do-not-serve" not in body(response)


@pytest.mark.parametrize("reader", ["enterprise", "staff"])
def test_an_absolute_path_to_a_real_file_answers_404(
    client_for, request, media_root, secret, mode, reader
):
    response = client_for(request.getfixturevalue(reader)).get(f"/media/{secret}")
    assert response.status_code == 404
    assert b"do-not-serve" not in body(response)


@pytest.mark.parametrize(
    "spelling",
    ["/media/./{path}", "/media/{dir}//{name}", "/media/{dir}/./{name}", "/media/{path}/"],
)
def test_other_spellings_of_a_readable_file_answer_404(
    client_for, enterprise, media_root, mode, spelling
):
    # One name per file: what is checked is exactly what is sent.
    path, _ = stored_png(media_root, "editor")
    ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, body=html_with(path)
    )
    directory, name = path.rsplit("/", 1)
    reader = client_for(enterprise)
    assert reader.get(f"/media/{path}").status_code == 200
    forged = spelling.format(path=path, dir=directory, name=name)
    assert reader.get(forged).status_code == 404


def test_accel_redirect_escapes_the_name(client_for, staff, media_root, settings):
    settings.MEDIA_ACCEL_REDIRECT = ACCEL_PREFIX
    (media_root / "editor" / "2025" / "03").mkdir(parents=True)
    Image.new("RGB", (2, 2)).save(media_root / "editor" / "2025" / "03" / "图 1?#.png", "PNG")
    response = client_for(staff).get("/media/editor/2025/03/%E5%9B%BE%201%3F%23.png")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == (
        "/protected-media/editor/2025/03/%E5%9B%BE%201%3F%23.png"
    )
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""


def test_a_missing_file_answers_404_to_staff(client_for, staff, media_root, mode):
    assert client_for(staff).get("/media/editor/2025/03/missing.png").status_code == 404
