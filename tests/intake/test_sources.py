"""Sources: their health at a glance, backing off a failing site, and who manages them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.intake import sources
from apps.intake.models import Source

pytestmark = pytest.mark.django_db

LIST = reverse("admin:intake_source_changelist")


@pytest.fixture
def source():
    return Source.objects.create(name="科技日报", url="https://www.stdaily.com/rss.xml")


def test_five_failures_in_a_row_back_off_and_a_success_resets(source):
    now = timezone.now()
    waits = []
    for attempt in range(8):
        sources.record_failure(source, "网站返回错误 500（网站内部错误）。", now=now)
        waits.append(source.next_fetch_at - now)
        assert source.consecutive_failures == attempt + 1
    hour = timedelta(hours=1)
    assert waits == [hour, hour, hour, hour, 2 * hour, 4 * hour, 8 * hour, 16 * hour]
    assert source.health == Source.Health.FAILING
    assert source.failing_since == now

    sources.record_success(source, etag='"abc"', now=now + timedelta(days=1))
    assert (source.consecutive_failures, source.last_error, source.failing_since) == (0, "", None)
    assert source.next_fetch_at == now + timedelta(days=1) + hour
    assert source.health == Source.Health.OK
    assert source.etag == '"abc"'


def test_only_active_sources_whose_time_has_come_are_due(source):
    paused = Source.objects.create(name="停用", url="https://a.example/", active=False)
    later = Source.objects.create(
        name="稍后", url="https://b.example/", next_fetch_at=timezone.now() + timedelta(hours=1)
    )
    due = set(sources.due())
    assert source in due and paused not in due and later not in due


def test_the_list_shows_each_sources_health(client, reviewer, source):
    Source.objects.create(name="暂停的源", url="https://c.example/", active=False)
    failing = Source.objects.create(name="出错的源", url="https://d.example/")
    sources.record_failure(failing, "找不到网站“d.example”。")
    client.force_login(reviewer)
    page = client.get(LIST).content.decode()
    assert "正常" in page and "暂停" in page
    assert "出错</strong>：找不到网站“d.example”。（自 " in page
    assert "连续 1 次" in page


def test_reviewers_manage_sources_and_no_one_else(client, reviewer, editor, subadmin, source):
    for user, allowed in [(reviewer, True), (editor, False), (subadmin, False)]:
        client.force_login(user)
        assert (client.get(LIST).status_code == 200) == allowed, user
        response = client.post(
            reverse("admin:intake_source_add"),
            {"name": "经济日报", "url": "https://www.ce.cn/rss.xml", "kind": "feed",
             "active": "on", "interval_minutes": "60"},
        )  # fmt: skip
        assert (response.status_code == 302) == allowed, user
    assert Source.objects.filter(name="经济日报").count() == 1


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:x"])
def test_a_source_must_be_http_or_https(client, reviewer, url):
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:intake_source_add"),
        {"name": "坏地址", "url": url, "kind": "feed", "active": "on", "interval_minutes": "60"},
    )
    assert response.status_code == 200
    assert not Source.objects.filter(name="坏地址").exists()
    assert "输入一个有效的 URL。" in response.content.decode()
