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
    for url in pages:
        assert reader.get(url).status_code == 200
        with django_assert_num_queries(1):  # the counters only: page and user are cached
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
