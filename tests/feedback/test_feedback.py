import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.feedback.submission import RATE_LIMIT
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
URL = reverse("reader:feedback")


def test_feedback_about_an_article(client, enterprise):
    article = ArticleFactory(
        issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED, title="扫地机器人"
    )
    client.force_login(enterprise)
    page = client.get(URL, {"article": article.pk}).content.decode()
    assert "关于文章：" in page and "扫地机器人" in page

    response = client.post(
        URL, {"article": article.pk, "message": "  希望多介绍许昌本地企业。 "}, follow=True
    )
    assert "已收到您的意见和建议" in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.author, feedback.article, feedback.issue) == (
        enterprise,
        article,
        article.issue,
    )
    assert feedback.message == "希望多介绍许昌本地企业。"
    assert feedback.status == Feedback.Status.NEW


def test_article_page_links_to_feedback(client, enterprise):
    article = ArticleFactory(issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED)
    client.force_login(enterprise)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f"{URL}?article={article.pk}" in page


@pytest.mark.parametrize(
    ("message", "error"),
    [("", "请填写意见内容"), ("   ", "请填写意见内容"), ("长" * 2001, "内容不能超过 2000 个字")],
)
def test_bad_feedback_is_refused_and_the_text_kept(client, enterprise, message, error):
    client.force_login(enterprise)
    response = client.post(URL, {"message": message})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    if message.strip():
        assert message in page
    assert not Feedback.objects.exists()


def test_rate_limit_keeps_the_text(client, enterprise):
    client.force_login(enterprise)
    for number in range(RATE_LIMIT):
        client.post(URL, {"message": f"第{number}条"})
    response = client.post(URL, {"message": "还有一条很重要的意见"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "一小时内已提交 5 条意见" in page
    assert "还有一条很重要的意见" in page
    assert Feedback.objects.count() == RATE_LIMIT


def test_a_subscriber_never_sees_anothers_messages(client, enterprise):
    other = SubscriberFactory(user__username="other").user
    Feedback.objects.create(author=other, message="别人的私信内容")
    Feedback.objects.create(author=enterprise, message="我自己的意见", reply="谢谢，已采纳。")
    client.force_login(enterprise)
    page = client.get(URL).content.decode()
    assert "我自己的意见" in page
    assert "谢谢，已采纳。" in page
    assert "别人的私信内容" not in page


def test_feedback_about_something_the_reader_may_not_see_is_404(client, enterprise):
    secret = ArticleFactory(
        issue=IssueFactory(visible=True),
        status=Article.Status.PUBLISHED,
        visibility=Article.Visibility.LEADERSHIP,
    )
    client.force_login(enterprise)
    assert client.get(URL, {"article": secret.pk}).status_code == 404
    assert client.post(URL, {"article": secret.pk, "message": "x"}).status_code == 404
    assert client.get(URL, {"article": "abc"}).status_code == 404
    assert not Feedback.objects.exists()


def test_staff_inbox_reply_reaches_the_subscriber(client, enterprise):
    feedback = Feedback.objects.create(author=enterprise, message="能否增加PDF下载？")
    staff = StaffFactory(username="subadmin1")
    staff.groups.add(Group.objects.get(name="订户管理"))
    client.force_login(staff)
    inbox = client.get(reverse("admin:feedback_feedback_changelist")).content.decode()
    assert "能否增加PDF下载？" in inbox
    url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
    response = client.post(
        url, {"status": Feedback.Status.HANDLED, "assignee": "", "reply": "下一版就有。"}
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert (feedback.status, feedback.assignee, feedback.reply) == (
        Feedback.Status.HANDLED,
        staff,
        "下一版就有。",
    )
    assert feedback.handled_at is not None
    assert feedback.message == "能否增加PDF下载？"

    client.force_login(enterprise)
    assert "下一版就有。" in client.get(URL).content.decode()
