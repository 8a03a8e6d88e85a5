"""工作报告 (/admin/insight/report/): the PDF with its server-drawn charts, the workbook, the
page; bad input, who may open it, Node missing, and that no reader is named in it."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import ContentStream

from apps.articles.models import Article, Industry, Section
from apps.core.via import Source
from apps.feedback.models import Feedback
from apps.insight import report, report_pdf
from apps.insight.models import (
    ArticleMonth,
    IndustryMonth,
    IssueAudience,
    IssueReach,
    ReaderMonth,
)
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.factories import (
    ArticleFactory,
    IssueFactory,
    StaffFactory,
    SubscriberFactory,
    UserFactory,
)
from tests.insight.seeding import seed

pytestmark = pytest.mark.django_db

URL = "/admin/insight/report/"
YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
PERIOD = report.Period(date(2025, 1, 1), date(2025, 12, 31))
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/","点此")新材料产业动向'
# What would name a reader or reach them: none of it may appear anywhere in the report.
PEOPLE = {
    "username": "zhang_weimin_1968",
    "first_name": "伟民",
    "last_name": "张",
    "email": "zhang.weimin@example.com",
    "mobile": "13900002222",
    "organization": "许昌市瑞祥新材料有限公司",
    "position": "总经理助理",
    "phone": "0374-5556667",
    "feedback": "请尽快联系我本人处理此事务",
}
SECTION_TITLES = ("出刊与发文", "读者", "各期到达", "热门文章", "意见和建议")


def at(day, hour=9):
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    return midnight + timedelta(hours=hour)


def live_issue(year, number, day):
    return IssueFactory(
        year=year,
        number=number,
        status=Issue.Status.PUBLISHED,
        published_at=at(day),
        went_live_at=at(day) + timedelta(seconds=30),
    )


@pytest.fixture
def history():
    """The rollups of 2025 for three issues, as apps.insight.rollups leaves them, with the
    readers, articles and feedback they count; and an issue of 2024, outside the year."""
    first, second = Section.objects.order_by("order")[:2]
    industries = list(Industry.objects.order_by("group__order", "order", "pk")[:3])
    one = live_issue(2025, 1, date(2025, 1, 15))
    two = live_issue(2025, 2, date(2025, 3, 10))
    three = live_issue(2025, 3, date(2025, 6, 20))
    earlier = live_issue(2024, 30, date(2024, 12, 20))

    def article(issue, section, title, tags=()):
        item = ArticleFactory(
            issue=issue, section=section, title=title, status=Article.Status.PUBLISHED
        )
        item.industries.set(tags)
        return item

    hostile = article(one, first, HOSTILE_TITLE, [industries[0]])
    grid = article(one, second, "智能电网装备产业链调研", industries[:2])
    hair = article(two, first, "发制品出口形势分析", [industries[2]])
    hydrogen = article(three, first, "许昌市氢能产业规划要点")
    article(earlier, first, "上一年的文章", [industries[0]])
    ArticleFactory(issue=three, section=first, status=Article.Status.DRAFT)

    K, R = Subscriber.Kind, Subscriber.Region
    valid = {"valid_from": date(2024, 1, 1), "valid_until": date(2026, 12, 31)}
    leader = SubscriberFactory(
        kind=K.LEADERSHIP,
        region=R.WEIDU,
        user__username=PEOPLE["username"],
        user__first_name=PEOPLE["first_name"],
        user__last_name=PEOPLE["last_name"],
        user__email=PEOPLE["email"],
        user__mobile=PEOPLE["mobile"],
        organization=PEOPLE["organization"],
        position=PEOPLE["position"],
        phone=PEOPLE["phone"],
        **valid,
    ).user
    firm = SubscriberFactory(kind=K.ENTERPRISE, region=R.YUZHOU, **valid).user
    SubscriberFactory(kind=K.OTHER, region=R.YUZHOU, **valid)

    for issue in (one, two, three, earlier):
        IssueAudience.objects.create(issue=issue, kind=K.LEADERSHIP, region=R.WEIDU, eligible=2)
        IssueAudience.objects.create(issue=issue, kind=K.ENTERPRISE, region=R.YUZHOU, eligible=3)
    for issue, day, kind, region, channel, readers in (
        (one, 0, K.LEADERSHIP, R.WEIDU, Source.EMAIL, 1),
        (one, 2, K.ENTERPRISE, R.YUZHOU, Source.WECOM, 2),
        (one, 10, K.ENTERPRISE, R.YUZHOU, Source.DIRECT, 1),
        (two, 0, K.ENTERPRISE, R.YUZHOU, Source.EMAIL, 4),
        (earlier, 0, K.ENTERPRISE, R.YUZHOU, Source.EMAIL, 5),
    ):
        IssueReach.objects.create(
            issue=issue, day=day, kind=kind, region=region, channel=channel, readers=readers
        )
    for item, month, readers in ((hostile, 1, 7), (grid, 1, 3), (hair, 3, 5), (hydrogen, 6, 2)):
        ArticleMonth.objects.create(article=item, month=date(2025, month, 1), readers=readers)
    IndustryMonth.objects.create(
        industry=industries[0], month=date(2025, 1, 1), readings=10, by_followers=4
    )
    for user, month, kind, region in (
        (leader, 1, K.LEADERSHIP, R.WEIDU),
        (leader, 3, K.LEADERSHIP, R.WEIDU),
        (firm, 3, K.ENTERPRISE, R.YUZHOU),
    ):
        ReaderMonth.objects.create(user=user, month=date(2025, month, 1), kind=kind, region=region)
    created = at(date(2025, 2, 3))  # a Monday
    for handled_at in (created + timedelta(days=1), None):
        message = Feedback.objects.create(author=leader, issue=one, message=PEOPLE["feedback"])
        Feedback.objects.filter(pk=message.pk).update(created_at=created, handled_at=handled_at)
    return {"sections": (first, second), "industries": industries}


def staff_in(group_name):
    user = StaffFactory(username=f"staff_{Group.objects.get(name=group_name).pk}")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def reviewer_client(client):
    client.force_login(staff_in("审核"))
    return client


def pdf_text(content):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def drawing(content):
    """The path operators of the PDF's pages: (lines, moves, curves and rectangles; curves)."""
    reader = PdfReader(io.BytesIO(content))
    operators = [
        operator
        for page in reader.pages
        for _, operator in ContentStream(page.get_contents(), reader).operations
    ]
    paths = sum(operator in (b"m", b"l", b"c", b"re") for operator in operators)
    return paths, operators.count(b"c")


def workbook_of(response):
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(workbook, name):
    return list(workbook[name].iter_rows(values_only=True))


def test_the_pdf_states_the_periods_figures_and_the_reviewers_summary(reviewer_client, history):
    first, second = history["sections"]
    response = reviewer_client.post(
        URL, {**YEAR, "format": "pdf", "summary": "全年编辑部稳步推进各项工作。\n读者反馈良好。"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    text = pdf_text(response.content)
    for expected in (
        "许昌竞争情报快递工作报告",
        "统计期间：2025年1月1日至2025年12月31日",
        "全年编辑部稳步推进各项工作。",
        "读者反馈良好。",
        *SECTION_TITLES,
        "期间上线期刊3期，发布文章4篇。",
        f"{first.name} 3",
        f"{second.name} 1",
        "魏都区 1 1 100.0%",
        "禹州市 2 1 50.0%",
        "2025年第1期 2025-01-15 5 20.0% 60.0% 60.0% 4",
        "2025年第2期 2025-03-10 5 80.0% 80.0% 80.0% 4",
        "发制品出口形势分析 2025年第2期 5",
        "2025年2月 2 1 50.0%",
    ):
        assert expected in text, expected
    # The issue of 2024 and its article are not in 2025's report.
    assert "2025年第30期" not in text and "2024年第30期" not in text
    assert "上一年的文章" not in text
    assert report_pdf.CHARTS_UNAVAILABLE not in text


def test_each_section_has_its_chart_drawn_on_the_server_and_without_node_a_note(
    reviewer_client, history, settings, tmp_path
):
    built = report.build(PERIOD)
    html = report_pdf.print_html(built)
    charted = report_pdf.render_pdf(built)
    settings.INSIGHT_NODE = str(tmp_path / "no-node-here")
    plain = reviewer_client.get(URL, {**YEAR, "format": "pdf"})

    # One SVG chart per section, inline in the HTML WeasyPrint lays out.
    assert html.count("<svg") == len(SECTION_TITLES) == len(built.sections)
    for section in built.sections:
        chart = html.split(f'id="section-{section.key}"')[1].split("</section>")[0]
        assert chart.count("<svg") == 1, section.key
    # Without Node the PDF is still made, with its tables, and says the charts are missing.
    assert plain.status_code == 200
    assert plain["Content-Type"] == "application/pdf"
    text = pdf_text(plain.content)
    assert "图表暂不可用" in text
    assert "2025年第1期 2025-01-15 5 20.0% 60.0% 60.0% 4" in text
    # The charts are drawn into the PDF: many more paths than the tables alone, and the
    # curves of the line chart's points and of the legends, which tables never have.
    charted_paths, charted_curves = drawing(charted)
    plain_paths, plain_curves = drawing(plain.content)
    assert charted_paths > plain_paths + 300
    assert charted_curves > 20 and plain_curves == 0


@pytest.mark.parametrize("script", ["exit 3", "echo '[\"<script>\"]'", "exec sleep 10"])
def test_a_node_that_fails_or_hangs_leaves_the_charts_out(history, settings, tmp_path, script):
    node = tmp_path / "node"
    node.write_text(f"#!/bin/sh\n{script}\n")
    node.chmod(0o755)
    settings.INSIGHT_NODE = str(node)
    settings.INSIGHT_CHART_TIMEOUT = 0.5

    html = report_pdf.print_html(report.build(PERIOD))

    assert "<svg" not in html and "<script>" not in html
    assert html.count("图表暂不可用") == len(SECTION_TITLES) + 1


def test_the_workbook_has_a_sheet_per_table_with_titles_held_as_text(reviewer_client, history):
    first, second = history["sections"]
    # A link downloads the report as generated: only the page's form posts a summary.
    response = reviewer_client.get(URL, {**YEAR, "format": "xlsx", "summary": "链接里的文字"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = workbook_of(response)
    assert workbook.sheetnames == [
        "概述",
        "栏目发文",
        "产业发文",
        "读者类型",
        "读者地区",
        "各期到达",
        "热门文章",
        "意见和建议",
    ]
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}"
    assert sheet_rows(workbook, "热门文章")[:3] == [
        ("排名", "标题", "期刊", "读者人数"),
        (1, "'" + HOSTILE_TITLE, "2025年第1期", 7),
        (2, "发制品出口形势分析", "2025年第2期", 5),
    ]
    assert (first.name, 3) in sheet_rows(workbook, "栏目发文")
    assert (second.name, 1) in sheet_rows(workbook, "栏目发文")
    reach = sheet_rows(workbook, "各期到达")
    assert reach[1] == ("2025年第1期", "2025-01-15", 5, 0.2, 0.6, 0.6, 4)
    assert workbook["各期到达"]["D2"].number_format == "0.0%"
    assert ("魏都区", 1, 1, 1.0) in sheet_rows(workbook, "读者地区")
    assert ("2025年2月", 2, 1, 0.5) in sheet_rows(workbook, "意见和建议")
    overview = sheet_rows(workbook, "概述")
    assert ("统计期间", "2025年") in [row[:2] for row in overview]
    assert "链接里的文字" not in [row[1] for row in overview]
    assert any(
        isinstance(row[1], str) and row[1].startswith("2025年，共上线期刊3期，发布文章4篇")
        for row in overview
    )


def test_the_page_offers_the_generated_summary_and_downloads_the_reviewers(
    reviewer_client, history
):
    page = reviewer_client.get(URL, YEAR)

    assert page.status_code == 200
    summary = page.context["form"]["summary"].value()
    assert summary.startswith("2025年，共上线期刊3期，发布文章4篇")
    assert "阅读人数最多的文章是《" in summary
    html = page.content.decode()
    assert "2025年，共上线期刊3期" in html
    assert "上季度" in html and "去年" in html  # the presets
    assert 'value="xlsx"' in html and 'value="pdf"' in html

    typed = "=1+1 全年工作稳步推进。\n@下一步 加强产业动态报道"
    response = reviewer_client.post(URL, {**YEAR, "format": "xlsx", "summary": typed})

    overview = [row[1] for row in sheet_rows(workbook_of(response), "概述")]
    assert "'=1+1 全年工作稳步推进。" in overview
    assert "'@下一步 加强产业动态报道" in overview
    assert not any(isinstance(value, str) and "共上线期刊" in value for value in overview)


def test_a_control_character_in_the_summary_is_dropped_not_an_error(reviewer_client, history):
    # An .xlsx cannot hold it (openpyxl raises); pasted from elsewhere, it must not cost the file.
    typed = "全年工作\x01稳步推进。\x1b"
    response = reviewer_client.post(URL, {**YEAR, "format": "xlsx", "summary": typed})

    assert response.status_code == 200
    overview = [row[1] for row in sheet_rows(workbook_of(response), "概述")]
    assert "全年工作稳步推进。" in overview


def test_no_reader_is_named_anywhere_in_the_report(reviewer_client, history):
    pdf = reviewer_client.get(URL, {**YEAR, "format": "pdf"})
    workbook = workbook_of(reviewer_client.get(URL, {**YEAR, "format": "xlsx"}))
    page = reviewer_client.get(URL, YEAR)

    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    texts = {
        "pdf": pdf_text(pdf.content),
        "pdf html": report_pdf.print_html(report.build(PERIOD)),
        "xlsx": cells,
        "page": page.content.decode(),
    }
    for where, text in texts.items():
        assert "魏都区" in text, where  # the report is there, and counts this reader
        for value in (
            PEOPLE["username"],
            PEOPLE["last_name"] + PEOPLE["first_name"],
            PEOPLE["first_name"],
            PEOPLE["email"],
            PEOPLE["mobile"],
            PEOPLE["organization"],
            PEOPLE["position"],
            PEOPLE["phone"],
            PEOPLE["feedback"],
        ):
            assert value not in text, (where, value)


def test_the_report_of_a_real_reading_history_counts_it_and_names_nobody(reviewer_client):
    seeded = seed()
    period = {
        "start": f"{timezone.localdate(seeded.one.went_live_at):%Y-%m-01}",
        "end": f"{timezone.localdate(seeded.now):%Y-%m-%d}",
    }

    with CaptureQueriesContext(connection) as queries:
        report.build(report.Period(*(date.fromisoformat(day) for day in period.values())))
    pdf = reviewer_client.get(URL, {**period, "format": "pdf"})
    workbook = workbook_of(reviewer_client.get(URL, {**period, "format": "xlsx"}))

    # From the rollups and the small tables, in a fixed number of queries: never the readings.
    assert len(queries) <= 25
    assert not any(Reading._meta.db_table in query["sql"] for query in queries)

    text = pdf_text(pdf.content)
    # The three live issues and their six articles; not the one scheduled for tomorrow.
    assert "期间上线期刊3期，发布文章6篇。" in text
    issues = [row for row in sheet_rows(workbook, "各期到达")[1:] if row[1]]  # not the note
    assert [row[0] for row in issues] == ["2030年第1期", "2030年第2期", "2030年第3期"]
    assert all(row[2] > 0 and row[6] > 0 for row in issues)  # eligible, readers
    assert report_pdf.CHARTS_UNAVAILABLE not in text
    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    for user in (seeded.leader_weidu, seeded.firm_weidu, seeded.expired, seeded.gone):
        for where in (text, cells):
            assert user.username not in where
            assert user.email not in where
    for where in (text, cells):
        assert "许昌某科技有限公司" not in where  # the subscribers' organization


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"end": "2025-01-31"}, "请填写开始日期。"),
        ({"start": "2025-01-01", "format": "pdf"}, "请填写结束日期。"),
        ({"start": "2025-02-30", "end": "2025-03-31"}, "日期无效"),
        ({"start": "2025/01/01", "end": "2025-01-31", "format": "xlsx"}, "日期无效"),
        ({"start": "' OR 1=1 --", "end": "2025-01-31"}, "日期无效"),
        ({"start": "2025-03-01", "end": "2025-02-01", "format": "pdf"}, "结束日期不能早于开始日期"),
        ({"start": "2024-01-01", "end": "2025-01-01", "format": "pdf"}, "不能超过366天"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "2000年至2100年"),
        ({"start": "9999-12-31", "end": "9999-12-31", "format": "pdf"}, "2000年至2100年"),
        ({**YEAR, "format": "docx"}, "不支持该格式"),
    ],
)
def test_bad_input_is_answered_on_the_page(reviewer_client, query, message):
    response = reviewer_client.get(URL, query)

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_an_overlong_summary_is_refused_on_the_page(reviewer_client):
    response = reviewer_client.post(
        URL, {**YEAR, "format": "pdf", "summary": "长" * (report.SUMMARY_MAX_LENGTH + 1)}
    )

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert f"概述不能超过{report.SUMMARY_MAX_LENGTH}个字符" in response.content.decode()


def test_a_leap_year_of_366_days_is_one_period(reviewer_client):
    response = reviewer_client.get(URL, {"start": "2024-01-01", "end": "2024-12-31"})

    assert response.status_code == 200
    assert response.context["report"].period.label == "2024年"


@pytest.mark.parametrize(
    ("who", "status"),
    [("审核", 200), ("订户管理", 200), ("superuser", 200), ("编辑", 403), ("签发", 403)],
)
def test_reviewers_subscriber_administrators_and_superusers_open_the_report(client, who, status):
    if who == "superuser":
        user = StaffFactory(username="root", is_superuser=True)
    else:
        user = staff_in(who)
    client.force_login(user)

    page = client.get(URL)
    download = client.get(URL, {"start": "2025-01-01", "end": "2025-01-31", "format": "xlsx"})

    assert page.status_code == status
    assert download.status_code == status
    if status == 200:
        assert "工作报告" in page.content.decode()
        assert download["Content-Disposition"].startswith("attachment")


def test_a_subscriber_is_sent_to_the_staff_login(client):
    client.force_login(SubscriberFactory(user=UserFactory(username="reader1")).user)

    response = client.get(URL, {**YEAR, "format": "xlsx"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_periods_are_named_and_offered_as_people_say_them():
    assert PERIOD.label == "2025年"
    assert report.Period(date(2025, 4, 1), date(2025, 6, 30)).label == "2025年第二季度"
    assert report.Period(date(2024, 2, 1), date(2024, 2, 29)).label == "2024年2月"
    assert report.Period(date(2025, 3, 5), date(2025, 4, 2)).label == "2025年3月5日至2025年4月2日"

    offered = dict(report.presets(date(2025, 1, 10)))
    assert offered["上月"] == report.Period(date(2024, 12, 1), date(2024, 12, 31))
    assert offered["本月"] == report.Period(date(2025, 1, 1), date(2025, 1, 31))
    assert offered["上季度"] == report.Period(date(2024, 10, 1), date(2024, 12, 31))
    assert offered["本季度"] == report.Period(date(2025, 1, 1), date(2025, 3, 31))
    assert offered["去年"] == report.Period(date(2024, 1, 1), date(2024, 12, 31))
    assert offered["今年"] == PERIOD
