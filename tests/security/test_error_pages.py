"""The 400, 403, CSRF-failure, 404 and 500 pages: Chinese, styled like the reader site, and
silent about the settings (Django's own CSRF page tells visitors to set DEBUG=True)."""

import pytest
from django.template import loader
from django.test import Client, override_settings

from tests.factories import ArticleFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def assert_error_page(response, status, heading):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert heading in page
    assert '<html lang="zh-Hans">' in page
    assert "/static/css/site.css" in page  # the reader site's stylesheet
    assert 'class="masthead' in page
    for word in ("DEBUG", "settings", "Forbidden", "Bad Request", "Server Error", "Traceback"):
        assert word not in page, word
    return page


def test_a_form_posted_without_its_csrf_token_gets_the_chinese_page(enterprise):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "firm1", "password": "wrong"})
    page = assert_error_page(response, 403, "页面已过期，请重新提交")
    assert "Cookie" in page  # says why it happens and what to do
    assert 'href="/accounts/login/"' in page


def test_a_stale_csrf_token_gets_the_same_page(enterprise):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)  # sets the CSRF cookie
    response = client.post(
        LOGIN, {"username": "firm1", "password": "x", "csrfmiddlewaretoken": "a" * 64}
    )
    assert_error_page(response, 403, "页面已过期，请重新提交")


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/", {"HTTP_HOST": "evil.example.com"}),  # DisallowedHost
        ("/", {"HTTP_HOST": "evil.example.com\x00"}),
        ("/search/?q=%00", {}),  # NUL, refused at the door
    ],
    ids=["disallowed-host", "nul-in-host", "nul-in-query"],
)
def test_a_bad_request_gets_the_chinese_400_page(client, enterprise, path, extra):
    client.force_login(enterprise)
    response = client.get(path, **extra)
    assert_error_page(response, 400, "请求无法处理")


def test_a_refused_page_gets_the_chinese_403_page(client, editor):
    client.force_login(editor)  # an editor has no business with user accounts
    response = client.get("/admin/accounts/user/")
    assert_error_page(response, 403, "无权访问")


def test_a_missing_page_gets_the_chinese_404_page(client, enterprise):
    client.force_login(enterprise)
    response = client.get("/no-such-page/")
    assert_error_page(response, 404, "页面不存在")
    # What the reader may not see is answered alike, without its title.
    hidden = ArticleFactory(title="尚未发布的稿件")
    response = client.get(hidden.get_absolute_url())
    assert "尚未发布的稿件" not in assert_error_page(response, 404, "页面不存在")


@override_settings(ROOT_URLCONF="tests.security.urls_boom")
def test_a_server_error_gets_the_chinese_500_page(client):
    client.force_login(SubscriberFactory().user)
    client.raise_request_exception = False
    response = client.get("/boom/")
    page = assert_error_page(response, 500, "服务器暂时出错")
    assert "a failure the visitor must not see" not in page
    assert "RuntimeError" not in page


@pytest.mark.parametrize("name", ["400.html", "403_csrf.html", "500.html"])
def test_pages_rendered_without_a_request_need_no_context_and_no_database(
    name, django_assert_num_queries
):
    # Django renders these with no request: no context processor runs, there may be no user,
    # and a 500 may be the database failing. They must stand on their own.
    with django_assert_num_queries(0):
        page = loader.get_template(name).render()
    assert "许昌竞争情报快递" in page  # written out: no context processor gives the name
    assert "/static/css/site.css" in page
