import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.articles.models import Article
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="甲文", position=1)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="乙文", position=2)
    return issue


def test_one_row_per_reader_and_item_with_a_count(client, issue, leader):
    first, _ = issue.articles.order_by("position")
    client.force_login(leader)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):  # reloads: one reading
            client.get(issue.get_absolute_url())
        client.get(first.get_absolute_url())
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        client.get(issue.get_absolute_url())
        client.get(first.get_absolute_url())

    issue_row = Reading.objects.get(user=leader, issue=issue, article=None)
    article_row = Reading.objects.get(user=leader, article=first)
    assert issue_row.count == 2
    assert article_row.count == 2
    assert article_row.first_read_at == start
    assert article_row.last_read_at == start + timedelta(minutes=11)
    assert Reading.objects.count() == 2


def test_staff_reading_is_not_recorded(client, issue, staff):
    client.force_login(staff)
    client.get(issue.get_absolute_url())
    assert not Reading.objects.exists()


def test_readership_page_counts_and_shows_who_has_not_read(client, issue, leader):
    first, second = issue.articles.order_by("position")
    SubscriberFactory(
        kind=Subscriber.Kind.LEADERSHIP, user__username="leader2", user__last_name="未读者"
    )
    firm = SubscriberFactory(
        kind=Subscriber.Kind.ENTERPRISE, region=Subscriber.Region.CHANGGE, user__username="firm9"
    ).user
    for reader, articles in [(leader, [first, second]), (firm, [first])]:
        client.force_login(reader)
        client.get(issue.get_absolute_url())
        for article in articles:
            client.get(article.get_absolute_url())

    subadmin = StaffFactory(username="subadmin1")
    subadmin.groups.add(Group.objects.get(name="订户管理"))
    client.force_login(subadmin)
    response = client.get(reverse("admin:readership_reading_issue", args=[issue.pk]))
    stats = response.context["stats"]
    assert stats["readers"] == 2
    assert [(a.title, n) for a, n in stats["articles"]] == [("甲文", 2), ("乙文", 1)]
    assert dict(stats["by_kind"]) == {"领导": 1, "企业": 1, "其他": 0}
    assert dict(stats["by_region"])["长葛市"] == 1
    grid = {row[0].user.username: [read for _, read in row[1]] for row in stats["grid"]}
    assert grid == {"leader1": [True, True], "leader2": [False, False]}
    page = response.content.decode()
    assert "未读者" in page

    export = client.get(reverse("admin:readership_reading_export", args=[issue.pk]))
    workbook = load_workbook(io.BytesIO(export.content))
    rows = list(workbook["领导阅读情况"].iter_rows(values_only=True))
    assert rows[0][3:] == ("甲文", "乙文")
    assert ("未读者", "许昌某科技有限公司", None, "未读", "未读") in rows


def test_subscriber_page_shows_last_seen_and_what_they_read(client, issue, leader):
    first, _ = issue.articles.order_by("position")
    client.force_login(leader)
    client.get(first.get_absolute_url())
    admin_user = StaffFactory(username="root", is_superuser=True)
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:subscribers_subscriber_change", args=[leader.subscriber.pk])
    ).content.decode()
    assert "最近一次阅读" in page
    assert "甲文（1 次）" in page


def test_editors_cannot_see_readership(client, issue):
    editor = StaffFactory(username="editor1")
    editor.groups.add(Group.objects.get(name="编辑"))
    client.force_login(editor)
    assert client.get(reverse("admin:readership_reading_issue", args=[issue.pk])).status_code == 403
