"""Every response carries the Content-Security-Policy; every page is privately cached only."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import get_resolver, reverse

from apps.articles.models import Article, Industry
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

READER_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_private(response, url):
    cache_control = response.get("Cache-Control", "")
    assert "private" in cache_control, url
    assert "public" not in cache_control, url
    assert "Cookie" in response.get("Vary", ""), url


@pytest.fixture
def article():
    article = ArticleFactory(
        issue=IssueFactory(visible=True, year=2025, number=4), status=Article.Status.PUBLISHED
    )
    article.industries.set([Industry.objects.first()])
    return article


def reader_urls(article):
    """Every route of the reader site, with real arguments."""
    issue = article.issue
    arguments = {
        "issue": [issue.year, issue.number],
        "issue_print": [issue.year, issue.number],
        "issue_print_mark": [issue.year, issue.number],
        "issue_pdf": [issue.year, issue.number],
        "article": [article.pk],
        "industry": [Industry.objects.first().slug],
    }
    names = [
        pattern.name
        for pattern in get_resolver().url_patterns
        if getattr(pattern, "namespace", None) == "reader"
        for pattern in pattern.url_patterns
        # Proofs are the editorial office's pages (test below); 关注 is a POST from the
        # industry page, whose GET only leads back to that page.
        if not pattern.name.startswith("issue_proof") and pattern.name != "industry_follow"
    ]
    assert len(names) >= 11  # every reader page is in the walk
    return [reverse(f"reader:{name}", args=arguments.get(name, [])) for name in names]


def test_every_reader_page_runs_only_the_sites_own_scripts_and_is_private(
    client_for, leader, article
):
    client = client_for(leader)
    for url in [*reader_urls(article), "/search/?q=新材料", "/accounts/password_change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        for name, value in READER_POLICY.items():
            assert directives[name] == value, (url, name)
        assert "unsafe" not in response["Content-Security-Policy"], url
        assert_private(response, url)


def test_proofs_carry_the_reader_policy_and_are_private(client, reviewer, article):
    client.force_login(reviewer)
    for name in ("issue_proof_print", "issue_proof_pdf"):
        url = reverse(f"reader:{name}", args=[article.issue.pk])
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy(response)["script-src"] == "'self'", url
        assert_private(response, url)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password_reset/", "/nope/"])
def test_pages_before_login_carry_the_policy_and_no_shared_caching(client, url):
    response = client.get(url)
    assert policy(response)["script-src"] == "'self'"
    assert_private(response, url)


def test_the_back_office_relaxes_only_inline_styles_for_the_editor(client, reviewer, article):
    client.force_login(reviewer)
    urls = ["/admin/", reverse("admin:articles_article_change", args=[article.pk])]
    urls += [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if reviewer.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self' 'unsafe-inline'", url
        assert directives["object-src"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert_private(response, url)


def test_static_files_stay_publicly_cacheable(settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/site.css")  # a new client: WhiteNoise reads settings
    response.close()  # as a WSGI server does: the request ends (request_finished)
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
