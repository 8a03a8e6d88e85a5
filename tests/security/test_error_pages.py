"""The 400, 403, CSRF-failure, 404, 405 and 500 pages: Chinese, styled like the reader site,
and silent about the settings (Django's own CSRF page tells visitors to set DEBUG=True); the
admin answers with the same pages."""

import pytest
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template import loader
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from apps.articles.models import Article
from apps.workflow.admin.articles import ArticleAdmin
from config.error_pages import MethodNotAllowedPageMiddleware
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


# --- 405: a method the address does not take ---


def assert_405_page(response, allow):
    assert_error_page(response, 405, "无法以此方式访问")
    assert response["Allow"] == allow
    if response.has_header("Content-Length"):  # written for the empty body, then the page's
        assert int(response["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_method_a_reader_page_does_not_take_gets_the_chinese_405_page(client, enterprise, method):
    client.force_login(enterprise)
    assert_405_page(getattr(client, method)("/"), "GET, HEAD, OPTIONS")


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_a_method_the_admin_does_not_take_gets_the_chinese_405_page(client, editor, method):
    # The admin's views would answer these as a GET (a PUT rendered the change form).
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    url = reverse("admin:articles_article_change", args=[article.pk])
    assert_405_page(getattr(client, method)(url), "GET, HEAD, POST")
    assert Article.objects.filter(pk=article.pk).exists()
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "allow"),
    [("/accounts/logout/", "POST, OPTIONS"), ("/editor/images/", "POST")],
    ids=["logout", "editor-image-upload"],
)
def test_a_get_to_an_address_that_only_takes_post_gets_the_chinese_405_page(
    client, editor, url, allow
):
    client.force_login(editor)
    assert_405_page(client.get(url), allow)


def test_a_405_that_has_its_own_body_keeps_it():
    request = RequestFactory().put("/editor/images/")
    answer = JsonResponse({"error": {"message": "只能上传"}}, status=405)
    assert MethodNotAllowedPageMiddleware(lambda request: answer)(request) is answer
    assert answer["Content-Type"] == "application/json"
    empty = HttpResponseNotAllowed(["POST"])
    assert "无法以此方式访问" in MethodNotAllowedPageMiddleware(lambda r: empty)(request).text
    fine = HttpResponse("")
    assert MethodNotAllowedPageMiddleware(lambda r: fine)(request).content == b""


# --- the admin's refusals: the same pages ---


def test_the_admin_answers_a_bad_request_with_the_chinese_400_page(client, editor):
    client.force_login(editor)
    # A field the admin does not let a list be chosen by (DisallowedModelAdminToField).
    response = client.get(reverse("admin:articles_article_changelist") + "?_to_field=body")
    assert_error_page(response, 400, "请求无法处理")


def test_the_admin_refuses_a_role_with_the_chinese_403_page(client, subadmin, other_editor):
    article = ArticleFactory(created_by=other_editor)
    client.force_login(subadmin)  # a subscriber administrator has no business with articles
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert_error_page(response, 403, "无权访问")


def test_what_the_admin_does_not_have_gets_the_chinese_404_page(client, editor):
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    for url in [
        "/admin/no/such/",
        reverse("admin:articles_article_simple_history", args=[article.pk, 999999]),
        reverse("admin:view_on_site", args=[999999, 999999]),
    ]:
        assert_error_page(client.get(url), 404, "页面不存在")
    # A missing object's change page is the admin's own answer: back to its index, saying so.
    missing = reverse("admin:articles_article_change", args=[999999])
    response = client.get(missing, follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "ID 为“999999”的 文章 不存在" in response.content.decode()


def test_a_failing_admin_page_gets_the_chinese_500_page(client, editor, monkeypatch):
    def boom(self, request):
        raise RuntimeError("a failure the visitor must not see")

    monkeypatch.setattr(ArticleAdmin, "get_queryset", boom)
    client.force_login(editor)
    client.raise_request_exception = False
    response = client.get(reverse("admin:articles_article_changelist"))
    page = assert_error_page(response, 500, "服务器暂时出错")
    assert "a failure the visitor must not see" not in page


@pytest.mark.parametrize("name", ["400.html", "403_csrf.html", "405.html", "500.html"])
def test_pages_rendered_without_a_request_need_no_context_and_no_database(
    name, django_assert_num_queries
):
    # Django renders these with no request: no context processor runs, there may be no user,
    # and a 500 may be the database failing. They must stand on their own.
    with django_assert_num_queries(0):
        page = loader.get_template(name).render()
    assert "许昌竞争情报快递" in page  # written out: no context processor gives the name
    assert "/static/css/site.css" in page
