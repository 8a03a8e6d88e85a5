"""A reader's own feedback list names an article or issue only while the reader may see it;
ids in the feedback page's parameters are read strictly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

FEEDBACK = reverse("reader:feedback")
HIDDEN = "（相关内容已不可见）"


@pytest.fixture
def article():
    issue = IssueFactory(visible=True, year=2025, number=7)
    return ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="新材料产业动态")


def send(client, **subject):
    key, obj = next(iter(subject.items()))
    response = client.post(f"{FEEDBACK}?{key}={obj.pk}", {"message": "请多介绍一些。", key: obj.pk})
    assert response.status_code == 302


def test_an_article_that_became_leadership_only_is_no_longer_named(client_for, enterprise, article):
    client = client_for(enterprise)
    send(client, article=article)
    Feedback.objects.update(reply="谢谢，已转交。")
    assert "《新材料产业动态》" in client.get(FEEDBACK).content.decode()

    Article.objects.filter(pk=article.pk).update(visibility=Article.Visibility.LEADERSHIP)

    page = client.get(FEEDBACK).content.decode()
    assert "新材料产业动态" not in page
    assert HIDDEN in page
    assert "请多介绍一些。" in page  # the reader's own words and the reply stay
    assert "谢谢，已转交。" in page
    assert str(article.issue) not in page  # not even where the article stood


def test_a_leader_still_sees_the_title(client_for, leader, article):
    client = client_for(leader)
    send(client, article=article)
    Article.objects.filter(pk=article.pk).update(visibility=Article.Visibility.LEADERSHIP)
    page = client.get(FEEDBACK).content.decode()
    assert "《新材料产业动态》" in page
    assert HIDDEN not in page


def test_a_withdrawn_issue_is_no_longer_named(client_for, enterprise, article):
    client = client_for(enterprise)
    send(client, issue=article.issue)
    assert str(article.issue) in client.get(FEEDBACK).content.decode()

    Issue.objects.filter(pk=article.issue_id).update(status=Issue.Status.WITHDRAWN)

    page = client.get(FEEDBACK).content.decode()
    assert str(article.issue) not in page
    assert HIDDEN in page


def test_feedback_about_nothing_in_particular_says_nothing_about_a_subject(client_for, enterprise):
    client = client_for(enterprise)
    assert client.post(FEEDBACK, {"message": "网站很好用。"}).status_code == 302
    page = client.get(FEEDBACK).content.decode()
    assert "网站很好用。" in page
    assert HIDDEN not in page


def own_feedback_queries(client, enterprise, count):
    issues = [IssueFactory(visible=True, year=2000 + count, number=n + 1) for n in range(count)]
    for n, issue in enumerate(issues):
        visibility = Article.Visibility.LEADERSHIP if n % 2 else Article.Visibility.ALL
        shown = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, visibility=visibility)
        Feedback.objects.create(author=enterprise, message="意见", issue=issue, article=shown)
        Feedback.objects.create(author=enterprise, message="意见", issue=issue)
    client.get(FEEDBACK)  # the signed-in user's copy is made on the first page
    with CaptureQueriesContext(connection) as queries:
        assert client.get(FEEDBACK).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_two_messages_and_for_twenty(client_for, enterprise):
    client = client_for(enterprise)
    few = own_feedback_queries(client, enterprise, 1)
    Feedback.objects.all().delete()
    many = own_feedback_queries(client, enterprise, 10)
    assert few == many


@pytest.mark.parametrize("value", ["²", "①", "٣", "99999999999999999999", "-1", "1.5", " 1", "abc"])
@pytest.mark.parametrize("key", ["article", "issue"])
def test_ids_in_the_parameters_are_read_strictly(client_for, enterprise, article, key, value):
    client = client_for(enterprise)
    assert client.get(FEEDBACK, {key: value}).status_code == 404
    response = client.post(FEEDBACK, {key: value, "message": "意见"})
    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_an_id_in_other_digits_names_nothing(client_for, enterprise, article):
    """int("٣") is 3: an id written in Arabic-Indic digits must not reach the article 3."""
    client = client_for(enterprise)
    arabic = str(article.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(FEEDBACK, {"article": article.pk}).status_code == 200
    assert client.get(FEEDBACK, {"article": arabic}).status_code == 404
