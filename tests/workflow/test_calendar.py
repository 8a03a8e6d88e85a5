"""The editorial calendar (编辑日历): the month view, one's private iCalendar feed, and the
截稿 reminders."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow.models import CalendarFeed
from tests.factories import ArticleFactory, IssueFactory, StaffFactory

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo(settings.TIME_ZONE)
# "Now" for the month view and the feed: Thursday 10 December 2026, morning.
NOW = datetime(2026, 12, 10, 9, 30, tzinfo=LOCAL)
CALENDAR = "/admin/calendar/"
SUBSCRIPTION = "/admin/calendar/subscription/"


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@pytest.fixture
def month(editor, other_editor, reviewer):
    """December 2026 as the desk planned it: what each role may and may not see."""
    planned = IssueFactory(
        year=2026,
        number=50,
        title="十二月下期",
        theme="储能专题",
        planned_date=date(2026, 12, 18),
        deadline=date(2026, 12, 15),
        created_by=other_editor,
        editor_note="<p>编者的话正文不应出现</p>",
    )
    return {
        "planned": planned,
        # Another editor's issue in review: reviewers see it, other editors do not.
        "in_review": IssueFactory(
            year=2026,
            number=51,
            title="审核中的一期",
            status=Issue.Status.REVIEW,
            planned_date=date(2026, 12, 20),
            created_by=other_editor,
        ),
        "scheduled": IssueFactory(
            year=2026,
            number=49,
            title="定时发布的一期",
            status=Issue.Status.PUBLISHED,
            published_at=datetime(2026, 12, 24, 10, 0, tzinfo=LOCAL),
            created_by=reviewer,
        ),
        "published": IssueFactory(
            year=2026,
            number=48,
            title="已经上线的一期",
            status=Issue.Status.PUBLISHED,
            published_at=datetime(2026, 12, 3, 8, 0, tzinfo=LOCAL),
            created_by=reviewer,
        ),
        "withdrawn": IssueFactory(
            year=2026,
            number=47,
            title="撤回的一期",
            status=Issue.Status.WITHDRAWN,
            planned_date=date(2026, 12, 11),
        ),
        "mine": ArticleFactory(issue=planned, title="我的草稿", created_by=editor, position=1),
        "theirs": ArticleFactory(
            issue=planned, title="别人的草稿", created_by=other_editor, position=2
        ),
        "approved": ArticleFactory(
            issue=planned,
            title="已通过的文章",
            status=Article.Status.APPROVED,
            created_by=editor,
            position=3,
        ),
        "next_month": IssueFactory(
            year=2027, number=1, title="新年第一期", planned_date=date(2027, 1, 8)
        ),
    }


def page(client, query=""):
    response = client.get(CALENDAR + query)
    assert response.status_code == 200
    return response.content.decode()


def link(obj):
    return f'href="{change_url(obj)}"'


@time_machine.travel(NOW, tick=False)
def test_the_month_shows_each_role_what_it_may_see(client, month, editor, reviewer):
    client.force_login(editor)
    shown = page(client)
    assert "编辑日历：2026年12月" in shown
    for visible in ("planned", "scheduled", "published", "mine"):
        assert link(month[visible]) in shown, visible
    assert "十二月下期（专题：储能专题）" in shown
    assert "定时发布 10:00" in shown and "已发布 08:00" in shown
    # Not another editor's issue in review nor their draft; nothing approved is due.
    for hidden in ("in_review", "theirs", "approved", "withdrawn", "next_month"):
        assert link(month[hidden]) not in shown, hidden
    assert "别人的草稿" not in shown and "撤回的一期" not in shown

    client.force_login(reviewer)
    shown = page(client)
    assert link(month["in_review"]) in shown and link(month["theirs"]) in shown
    assert link(month["approved"]) not in shown
    # The due articles are listed under their issue's deadline, on the 15th.
    day = shown.split('datetime="2026-12-15"')[1].split('datetime="2026-12-16"')[0]
    assert "截稿" in day and link(month["mine"]) in day and link(month["theirs"]) in day


@time_machine.travel(NOW, tick=False)
def test_months_page_and_a_bad_month_shows_this_one(client, month, editor):
    client.force_login(editor)
    january = page(client, "?month=2027-01")
    assert "编辑日历：2027年1月" in january and link(month["next_month"]) in january
    assert 'href="?month=2026-12"' in january and 'href="?month=2027-02"' in january
    assert link(month["planned"]) not in january
    for bad in ("2026-13", "abc", "1999-12", "２０２７-01", "2027-01-01", ""):
        shown = page(client, f"?month={bad}")
        assert "编辑日历：2026年12月" in shown, bad
        assert "月份无效" in shown, bad
        assert link(month["planned"]) in shown
    # The last month one may page to has no next.
    assert 'rel="next"' not in page(client, "?month=2100-12")


def test_the_calendar_is_for_staff_who_open_issues(client, editor, subadmin):
    assert client.get(CALENDAR).status_code == 302  # to the admin's login
    client.force_login(subadmin)
    assert client.get(CALENDAR).status_code == 403
    assert client.get(SUBSCRIPTION).status_code == 403
    assert "编辑日历" not in client.get(reverse("admin:index")).content.decode()
    client.force_login(editor)
    assert f'href="{CALENDAR}"' in client.get(reverse("admin:index")).content.decode()


def test_an_issue_is_planned_on_its_form(client, reviewer):
    issue = IssueFactory(year=2026, number=3, created_by=reviewer)
    client.force_login(reviewer)
    form = client.get(change_url(issue)).content.decode()
    assert "<h2" in form and ">计划</h2>" in form
    for name in ("planned_date", "theme", "deadline"):
        assert f'name="{name}"' in form


# --- the private feed -----------------------------------------------------------------------


def make_feed(client):
    response = client.post(SUBSCRIPTION, {"action": "renew"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [url] = re.findall(r'value="([^"]+\.ics)"', response.content.decode())
    assert url.startswith(f"{settings.SITE_URL}/calendar/")
    return url.removeprefix(settings.SITE_URL)


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in parsed.walk("VEVENT")}


@time_machine.travel(NOW, tick=False)
def test_the_feed_holds_what_its_owner_sees_and_no_bodies(client, month, editor):
    client.force_login(editor)
    path = make_feed(client)
    client.logout()  # a calendar app has no session: the token is all it has
    response = client.get(path)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    found = events(response)
    planned = found["计划出刊：2026年第50期：十二月下期（专题：储能专题）"]
    assert planned.start == date(2026, 12, 18)  # all day
    assert str(planned["URL"]) == settings.SITE_URL + change_url(month["planned"])
    deadline = found["截稿：2026年第50期：十二月下期（专题：储能专题）"]
    assert deadline.start == date(2026, 12, 15)
    assert "我的草稿" in deadline["DESCRIPTION"]
    assert settings.SITE_URL + change_url(month["mine"]) in deadline["DESCRIPTION"]
    assert "别人的草稿" not in deadline["DESCRIPTION"]
    scheduled = found["定时发布：2026年第49期：定时发布的一期"]
    assert scheduled.start == datetime(2026, 12, 24, 10, 0, tzinfo=LOCAL)
    assert "已发布：2026年第48期：已经上线的一期" in found
    assert "计划出刊：2027年第1期：新年第一期" in found  # the feed reaches beyond the month
    text = response.content.decode()
    for hidden in ("审核中的一期", "别人的草稿", "撤回的一期", "编者的话", "<p>", "正文"):
        assert hidden not in text


def test_renewing_revokes_the_old_address_and_revoking_ends_it(client, editor):
    client.force_login(editor)
    first = make_feed(client)
    second = make_feed(client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    # The address is not shown again, nor kept: only its digest is.
    again = client.get(SUBSCRIPTION).content.decode()
    token = second.removeprefix("/calendar/").removesuffix(".ics")
    assert token not in again and "重新生成订阅地址" in again
    assert token not in CalendarFeed.objects.get(user=editor).token_digest
    response = client.post(SUBSCRIPTION, {"action": "revoke"}, follow=True)
    assert "已撤销日历订阅地址" in response.content.decode()
    assert client.get(second).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_wrong_missing_and_forged_requests_change_nothing(client, editor):
    client.force_login(editor)
    path = make_feed(client)
    for wrong in ("/calendar/wrong.ics", "/calendar/.ics", "/calendar/" + "x" * 500 + ".ics"):
        assert client.get(wrong).status_code == 404
    response = client.post(SUBSCRIPTION, {"action": "delete-everything"}, follow=True)
    assert "无效的操作" in response.content.decode()
    assert client.get(SUBSCRIPTION + "?action=revoke").status_code == 200  # GET changes nothing
    assert client.get(path).status_code == 200


def test_the_feed_ends_with_its_owners_rights(client, settings, editor):
    client.force_login(editor)
    path = make_feed(client)
    client.logout()
    # Staff sign in with a second factor in production; the feed's token stands in for it.
    settings.OTP_REQUIRED = True
    assert client.get(path).status_code == 200
    editor.groups.remove(Group.objects.get(name="编辑"))
    assert client.get(path).status_code == 404
    editor.groups.add(Group.objects.get(name="编辑"))
    editor.is_active = False
    editor.save()
    assert client.get(path).status_code == 404


def test_the_feeds_token_stays_out_of_the_logs(client, editor, json_lines):
    client.force_login(editor)
    path = make_feed(client)
    client.get(path)
    client.get("/calendar/revokedtoken123.ics")  # a 404 is logged with its path too
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert token not in str(json_lines) and "revokedtoken123" not in str(json_lines)
    assert any(entry.get("path") == "/calendar/….ics" for entry in json_lines)


def test_a_reviewers_feed_holds_what_editors_cannot_see(client, reviewer, other_editor):
    IssueFactory(
        year=2026,
        number=9,
        title="只给审核看",
        status=Issue.Status.REVIEW,
        planned_date=date(2026, 12, 20),
        created_by=other_editor,
    )
    client.force_login(reviewer)
    path = make_feed(client)
    with time_machine.travel(NOW, tick=False):
        assert "待审核：2026年第9期：只给审核看" in events(client.get(path))
    staff_without_role = StaffFactory(username="norole")
    client.force_login(staff_without_role)
    assert client.post(SUBSCRIPTION, {"action": "renew"}).status_code == 403
    assert not CalendarFeed.objects.filter(user=staff_without_role).exists()
