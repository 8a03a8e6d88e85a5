"""How large a form may be: long articles for staff in the back office, 5 MB for anyone else.

A form over its limit is answered with a page in Chinese (400), never Django's English
RequestDataTooBig page or a 500, and nothing is saved.
"""

import threading
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse

from apps.articles.models import Article
from apps.feedback.models import Feedback
from config.body_limit import granted
from tests.factories import ArticleFactory
from tests.workflow.test_editing import article_form, change_url

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
URLENCODED = "application/x-www-form-urlencoded"


def chinese_text(megabytes):
    """About `megabytes` MB of Chinese text (3 UTF-8 bytes a character, 9 URL-encoded)."""
    sentence = "许昌市科技情报研究所编印竞争情报快递。"
    return sentence * -(-int(megabytes * MB) // len(sentence.encode()))  # rounded up


def post(client, url, data, *, encoding):
    if encoding == "urlencoded":
        return client.post(url, urlencode(data), content_type=URLENCODED)
    return client.post(url, data)  # the test client's default: multipart/form-data


@pytest.fixture
def draft(editor):
    return ArticleFactory(created_by=editor, status=Article.Status.DRAFT)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_an_editor_saves_a_2_mb_chinese_body_on_their_draft(client, editor, draft, encoding):
    body = f"<p>{chinese_text(2)}</p>"
    client.force_login(editor)
    response = post(client, change_url(draft), article_form(draft, body=body), encoding=encoding)
    assert response.status_code == 302, response.content[:300].decode(errors="replace")
    draft.refresh_from_db()
    assert draft.body == body


def test_an_editor_saves_5_mb_of_text(client, editor, draft):
    # 5 MB of text is 15 MB URL-encoded, as a browser without the editor's script sends it.
    body = f"<p>{chinese_text(5)}</p>"
    client.force_login(editor)
    data = urlencode(article_form(draft, body=body))
    assert len(data) > 15 * MB
    response = client.post(change_url(draft), data, content_type=URLENCODED)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert len(draft.body.encode()) > 5 * MB


def page_text(response):
    return response.content.decode().replace("\xa0", " ")  # filesizeformat's no-break space


def assert_refused_in_chinese(response):
    assert response.status_code == 400
    page = page_text(response)
    assert "提交的内容过大" in page
    assert "5.0 MB" in page or "32.0 MB" in page
    assert "RequestDataTooBig" not in page


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_an_anonymous_10_mb_login_post_is_refused_in_chinese(client, settings, encoding, debug):
    settings.DEBUG = debug  # in development Django's own page was an English one
    data = {"username": "someone", "password": chinese_text(10)}
    response = post(client, reverse("login"), data, encoding=encoding)
    assert_refused_in_chinese(response)
    assert "5.0 MB" in page_text(response)


def test_a_reader_keeps_the_strict_limit(client, enterprise):
    client.force_login(enterprise)
    data = {"message": chinese_text(6)}
    assert_refused_in_chinese(post(client, reverse("reader:feedback"), data, encoding="multipart"))
    assert not Feedback.objects.exists()


def test_staff_keep_the_strict_limit_outside_the_back_office(client, editor):
    client.force_login(editor)
    data = {"message": chinese_text(6)}
    assert_refused_in_chinese(post(client, reverse("reader:feedback"), data, encoding="multipart"))


def test_a_subscriber_posting_to_the_admin_keeps_the_strict_limit(client, enterprise, draft):
    client.force_login(enterprise)
    data = article_form(draft, body=f"<p>{chinese_text(2)}</p>")
    response = post(client, change_url(draft), data, encoding="urlencoded")
    assert_refused_in_chinese(response)


def test_beyond_the_back_office_limit_the_editor_gets_the_chinese_page(client, editor, draft):
    client.force_login(editor)
    original = draft.body
    data = article_form(draft, body=f"<p>{chinese_text(33)}</p>")
    response = post(client, change_url(draft), data, encoding="multipart")
    assert_refused_in_chinese(response)
    assert "32.0 MB" in page_text(response)
    draft.refresh_from_db()
    assert draft.body == original


def test_nul_in_a_staff_form_is_still_refused(client, editor, draft):
    client.force_login(editor)
    response = client.post(change_url(draft), article_form(draft, title="标题\x00"))
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_a_grant_holds_only_where_it_was_given():
    strict = 5 * MB
    seen_elsewhere = []
    with granted(32 * MB):
        assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 32 * MB
        assert 6 * MB < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Another thread (another request in a threaded server) keeps the strict limit.
        thread = threading.Thread(
            target=lambda: seen_elsewhere.append(6 * MB > settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        )
        thread.start()
        thread.join()
    assert seen_elsewhere == [True]
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == strict
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1 == strict + 1
    assert 6 * MB > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
