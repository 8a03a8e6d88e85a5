"""The industry map and the industry pages come from the page cache, per audience, and follow
the database: a newly published article shows at the next request; leaders' and others'
copies never mix."""

import pytest
from django.urls import reverse

from apps.articles.models import Article, Industry
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def article_in(industry, **kwargs):
    article = ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, **kwargs
    )
    article.industries.set([industry])
    return article


def test_industry_pages_are_served_from_the_cache_and_follow_changes(
    client_for, django_assert_num_queries
):
    industry = Industry.objects.get(slug="new-materials")
    article_in(industry, title="储能材料进展")
    reader = client_for(SubscriberFactory().user)
    pages = [reverse("reader:industries"), reverse("reader:industry", args=[industry.slug])]
    # The counters (page and user are cached); an industry's page also asks whether the
    # reader follows it (its 关注 button, part of the page's key).
    for url, queries in zip(pages, [1, 2], strict=True):
        assert reader.get(url).status_code == 200
        with django_assert_num_queries(queries):
            assert reader.get(url).status_code == 200
    article_in(industry, title="新发布的材料文章")
    assert "新发布的材料文章" in reader.get(pages[1]).content.decode()


def test_leaders_and_others_get_their_own_copy(client_for):
    industry = Industry.objects.get(slug="new-materials")
    article_in(industry, title="仅限领导的材料文章", visibility=Article.Visibility.LEADERSHIP)
    url = reverse("reader:industry", args=[industry.slug])
    leader = client_for(SubscriberFactory(kind=Subscriber.Kind.LEADERSHIP).user)
    assert "仅限领导的材料文章" in leader.get(url).content.decode()
    other = client_for(SubscriberFactory(user__username="firm9").user)
    assert "仅限领导的材料文章" not in other.get(url).content.decode()
    assert "仅限领导的材料文章" not in other.get(url, {"page": " 1"}).content.decode()


@pytest.mark.parametrize(
    ("url", "params", "canonical"),
    [
        ("/search/", "q=氢能&utm_source=mail&page=2", "/search/?q=%E6%B0%A2%E8%83%BD&page=2"),
        ("/issues/", "year=2024&x=1", "/issues/?year=2024"),
        ("/industries/new-materials/", "nonce=1&page=2", "/industries/new-materials/?page=2"),
        ("/industries/new-materials/", "nonce=1", "/industries/new-materials/"),
        # Each parameter once, with the value the page reads; a page number only as a number.
        ("/issues/", "page=n0nce&page=2", "/issues/?page=2"),
        ("/search/", "q=氢能&page=n0nce", "/search/?q=%E6%B0%A2%E8%83%BD"),
        ("/search/", "q=x&q=氢能", "/search/?q=%E6%B0%A2%E8%83%BD"),
    ],
)
def test_parameters_a_page_does_not_read_are_dropped_first(
    client_for, django_assert_num_queries, url, params, canonical
):
    reader = client_for(SubscriberFactory().user)
    reader.get("/")  # the session and the user reach the cache
    # Sent to the page's own address at once (the one query: the counters, which check the
    # signed-in reader): no search, no render, no copy for others.
    with django_assert_num_queries(1):
        response = reader.get(f"{url}?{params}")
    assert response.status_code == 302
    assert response["Location"] == canonical


def test_a_cached_page_never_carries_another_readers_parameters(client_for):
    issue = IssueFactory(visible=True)
    for position in range(12):
        ArticleFactory(issue=issue, position=position + 1, title=f"氢能{position}")
    Article.objects.update(status=Article.Status.PUBLISHED)
    from apps.search.indexing import refresh

    refresh(Article.objects.values_list("pk", flat=True))
    first = client_for(SubscriberFactory(user__username="firm7").user)
    first.get("/search/", {"q": "氢能", "ref": "lure"}, follow=True)
    second = client_for(SubscriberFactory(user__username="firm8").user)
    page = second.get("/search/", {"q": "氢能"}).content.decode()
    assert "page=2" in page and "lure" not in page
