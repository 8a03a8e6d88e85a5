import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_run(settings):
    # Django runs tests with DEBUG off; load_demo is for local (DEBUG) runs.
    settings.DEBUG = True


def load_demo():
    output = io.StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


DEMO_ACCOUNTS = ["admin", "editor", "reviewer", "subadmin", "leader", "enterprise", "expired"]


def test_load_demo_builds_the_sample_issue_and_is_idempotent():
    load_demo()
    output = load_demo()

    issue = Issue.objects.get(status=Issue.Status.PUBLISHED)
    assert (issue.year, issue.number, issue.status) == (2023, 12, Issue.Status.PUBLISHED)
    assert "升级改版《许昌竞争情报快递》" in issue.editor_note
    articles = {a.title: a for a in issue.articles.select_related("section")}
    assert len(articles) == 4
    assert articles["我国综合科技创新水平持续提升"].section.name == "综合要闻"
    assert articles["深圳：打好“服务牌”、企业“加速跑”"].section.name == "行业趋势"
    assert articles["四大新功能让生成式AI“如虎添翼”"].section.name == "行业报告"
    assert all(a.status == Article.Status.PUBLISHED for a in articles.values())
    assert "已载入样刊 2023年第12期（总第12期），共 4 篇文章" in output
    robots = articles["深圳：打好“服务牌”、企业“加速跑”"]
    assert "<h3>下沉到企业一线</h3>" in robots.body
    assert "智能装备" in {industry.name for industry in robots.industries.all()}

    # The next issue waits for the reviewer, once, with its articles approved.
    waiting = Issue.objects.get(status=Issue.Status.REVIEW)
    assert (waiting.year, waiting.number, waiting.created_by.username) == (2024, 1, "editor")
    assert {a.status for a in waiting.articles.all()} == {Article.Status.APPROVED}
    assert waiting.articles.filter(visibility=Article.Visibility.LEADERSHIP).count() == 1
    assert Issue.objects.count() == 2


def sign_in(login, password):
    # As the login page does: login throttling needs the request.
    return authenticate(
        RequestFactory().post("/accounts/login/"), username=login, password=password
    )


def test_demo_accounts_sign_in_with_the_demo_password():
    output = load_demo()
    for username in DEMO_ACCOUNTS:
        assert sign_in(username, "xuchang-demo") is not None, username
        assert f"  {username}" in output
    assert sign_in("13800000001", "xuchang-demo").username == "leader"
    enterprise = Subscriber.objects.get(user__username="enterprise")
    assert enterprise.kind == Subscriber.Kind.ENTERPRISE
    assert {i.name for i in enterprise.industries.all()} == {"新材料", "智能装备"}
    assert Subscriber.objects.get(user__username="leader").kind == Subscriber.Kind.LEADERSHIP
    assert not Subscriber.objects.get(user__username="expired").is_current()


def test_leader_reads_the_sample_issue_and_expired_cannot(client):
    load_demo()
    client.post(reverse("login"), {"username": "leader", "password": "xuchang-demo"})
    page = client.get("/issues/2023/12/").content.decode()
    assert "2023年第12期" in page
    assert "四大新功能让生成式AI“如虎添翼”" in page

    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "expired", "password": "xuchang-demo"})
    response = client.get("/issues/2023/12/")
    assert response.status_code == 403
    assert "四大新功能" not in response.content.decode()


def test_load_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG 已关闭"):
        load_demo()
    assert not Issue.objects.exists()
    assert not Subscriber.objects.exists()
