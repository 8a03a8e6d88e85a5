"""The desk (素材库) in the admin: the list of stories, its search and filters, a clipping's
page, 添加链接, the watch words, and who reaches any of it."""

from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html

from apps.articles.models import Article, Industry, Section
from apps.intake import adopting
from apps.intake.models import Clipping, Source, Story, WatchWord
from tests.factories import ArticleFactory, IssueFactory, StaffFactory
from tests.intake.sites import Site
from tests.security.test_admin_language import english, user_content

pytestmark = pytest.mark.django_db

LIST = reverse("admin:intake_clipping_changelist")
ADD_LINK = reverse("admin:intake_clipping_add")
numbers = count(1)


def clip(title, *, story=None, text="", **fields):
    n = next(numbers)
    fields.setdefault("source_name", "科技日报")
    fields.setdefault("html", f"<p>{text}</p>")
    return Clipping.objects.create(
        url=f"https://news.example.cn/{n}.html", title=title, text=text, story=story, **fields
    )


def story_of(lead_title, *reprints, day=None, watched=False, lead_fields=None, text=""):
    """A story: its lead (published first) and reprints given as (source name, title)."""
    now = timezone.now()
    story = Story.objects.create(
        day=day or timezone.localdate(), watched=watched, first_seen_at=now
    )
    lead_fields = {"published_at": now - timedelta(hours=5), **(lead_fields or {})}
    lead = clip(lead_title, story=story, text=text, **lead_fields)
    others = [
        clip(title, story=story, source_name=name, published_at=now - timedelta(hours=4 - i))
        for i, (name, title) in enumerate(reprints)
    ]
    Story.objects.filter(pk=story.pk).update(lead=lead, size=1 + len(others))
    return lead, others


def page_of(response):
    return html.fromstring(response.content.decode())


def row_titles(response):
    return [a.text_content() for a in page_of(response).xpath('//a[@class="desk-title"]')]


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


# --- the list -------------------------------------------------------------------------------


def test_one_row_per_story_newest_first_with_its_reprints_folded(editor_client):
    today = timezone.localdate()
    story_of("前天的报道", day=today - timedelta(days=2))
    lead, reprints = story_of(
        "国家支持钠离子电池产业化",
        ("经济日报", "钠离子电池迎来产业化"),
        ("河南日报", "转载：钠离子电池"),
    )
    story_of("今天的另一条", watched=False)
    story_of("许昌企业入选名单", watched=True)

    response = editor_client.get(LIST)
    assert response.status_code == 200
    titles = row_titles(response)
    # Today first, the story with a watch word at its top; reprints are not rows of their own.
    assert titles[0] == "许昌企业入选名单"
    assert titles[-1] == "前天的报道"
    assert set(titles) == {
        "前天的报道",
        "国家支持钠离子电池产业化",
        "今天的另一条",
        "许昌企业入选名单",
    }
    row = page_of(response).xpath(f'//tr[.//a[@href="{change_url(lead)}"]]')[0]
    folded = row.xpath('.//div[@class="desk-reprints"]')[0]
    assert folded.text_content() == "另有 2 家转载：经济日报、河南日报"
    assert folded.xpath(".//a/@href") == [change_url(c) for c in reprints]


def change_url(clipping):
    return reverse("admin:intake_clipping_change", args=[clipping.pk])


def test_a_row_shows_source_date_state_machine_made_industries_and_watch_words(editor_client):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    word = WatchWord.objects.create(word="许昌", industry=None)
    lead, (reprint,) = story_of(
        "新能源汽车产业链",
        ("经济日报", "转载"),
        watched=True,
        lead_fields={"source_name": "工信部"},
    )
    lead.industries.set([industry])
    reprint.watch_words.set([word])  # a reprint's watch word flags the whole story
    reviewed, _ = story_of("已审核的产业", lead_fields={"industries_reviewed": True})
    reviewed.industries.set([industry])

    response = editor_client.get(LIST)
    row = page_of(response).xpath(f'//tr[.//a[@href="{change_url(lead)}"]]')[0]
    cells = [td.text_content().strip() for td in row.xpath("./td")]
    assert "工信部" in cells
    assert timezone.localtime(lead.published_at).strftime("%Y-%m-%d") in cells
    assert "新" in cells
    assert "新能源汽车 自动生成" in cells
    assert row.xpath('.//mark[@class="desk-watch"]/text()') == ["许昌"]
    other = page_of(response).xpath(f'//tr[.//a[@href="{change_url(reviewed)}"]]')[0]
    assert "新能源汽车" in [td.text_content().strip() for td in other.xpath("./td")]
    assert "自动生成" not in other.text_content()


def test_the_list_says_when_a_story_was_used(editor_client):
    lead, (reprint,) = story_of("被采用的报道", ("经济日报", "转载"))
    article = ArticleFactory(title="已采用")
    Clipping.objects.filter(pk=reprint.pk).update(state=Clipping.State.USED, article=article)
    row = page_of(editor_client.get(LIST)).xpath(f'//tr[.//a[@href="{change_url(lead)}"]]')[0]
    assert "本报道已采用" in row.text_content()


def test_filters_by_industry_source_state_watch_word_and_date(editor_client):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    source = Source.objects.create(name="经济日报", url="https://www.ce.cn/rss.xml")
    word = WatchWord.objects.create(word="长葛")
    tagged, _ = story_of("有产业的")
    tagged.industries.set([industry])
    story_of("来自经济日报", lead_fields={"source": source})
    story_of("收藏的", lead_fields={"state": Clipping.State.STARRED})
    story_of("忽略的", lead_fields={"state": Clipping.State.IGNORED})
    _, (reprint,) = story_of("提到长葛的报道", ("河南日报", "转载"), watched=True)
    reprint.watch_words.set([word])
    story_of("去年的", lead_fields={"published_at": timezone.now() - timedelta(days=400)})

    def titles(**params):
        return set(row_titles(editor_client.get(LIST, params)))

    assert "忽略的" not in titles()  # the desk's work: what is not ignored
    assert "忽略的" in titles(state="all")
    assert titles(state="ignored") == {"忽略的"}
    assert titles(state="starred") == {"收藏的"}
    assert titles(industry=industry.pk) == {"有产业的"}
    assert titles(source__id__exact=source.pk) == {"来自经济日报"}
    assert titles(watch=word.pk) == {"提到长葛的报道"}
    assert titles(watch="any") == {"提到长葛的报道"}
    this_year = timezone.localdate().replace(month=1, day=1)
    assert "去年的" not in titles(published_at__gte=this_year.isoformat())
    assert titles(industry="abc") == titles()  # a forged value filters nothing


def test_search_finds_chinese_with_highlights_in_the_title_and_excerpt(editor_client):
    lead, _ = story_of(
        "许昌超硬材料产业加快集聚",
        ("经济日报", "转载：超硬材料"),
        text="长葛市金刚石线锯产能居全国前列，新增项目十二个。",
    )
    story_of("发制品出口增长", text="假发企业开拓非洲市场。")

    response = editor_client.get(LIST, {"q": "金刚石"})
    assert row_titles(response) == ["许昌超硬材料产业加快集聚"]  # the lead, not its reprint
    row = page_of(response).xpath(f'//tr[.//a[@href="{change_url(lead)}"]]')[0]
    assert row.xpath('.//div[@class="desk-excerpt"]/mark/text()') == ["金刚石"]

    response = editor_client.get(LIST, {"q": "超硬"})  # two characters inside a word
    assert row_titles(response) == ["许昌超硬材料产业加快集聚"]
    assert page_of(response).xpath('//a[@class="desk-title"]/mark/text()') == ["超硬"]

    response = editor_client.get(LIST, {"q": "超"})
    assert row_titles(response) == []
    assert "请至少输入两个字" in response.content.decode()


def test_actions_apply_to_every_clipping_of_each_selected_story(editor_client):
    lead, reprints = story_of("要收藏的报道", ("经济日报", "转载一"), ("河南日报", "转载二"))
    article = ArticleFactory(title="已采用的稿件")
    Clipping.objects.filter(pk=reprints[1].pk).update(state=Clipping.State.USED, article=article)
    other, _ = story_of("不相干的报道")

    response = editor_client.post(
        LIST, {"action": "star_stories", "_selected_action": [lead.pk], "index": "0"}, follow=True
    )
    assert "已收藏 2 篇稿件" in response.content.decode()
    states = dict(Clipping.objects.values_list("title", "state"))
    assert states["要收藏的报道"] == states["转载一"] == Clipping.State.STARRED
    assert states["转载二"] == Clipping.State.USED  # an article's clipping stays 已采用
    assert states["不相干的报道"] == Clipping.State.NEW

    editor_client.post(LIST, {"action": "ignore_stories", "_selected_action": [lead.pk, other.pk]})
    states = dict(Clipping.objects.values_list("title", "state"))
    assert states["要收藏的报道"] == states["不相干的报道"] == Clipping.State.IGNORED
    # The ignored stories are listed under 全部 (the list's filters are in its address).
    editor_client.post(
        f"{LIST}?state=all", {"action": "renew_stories", "_selected_action": [lead.pk]}
    )
    assert Clipping.objects.get(pk=reprints[0].pk).state == Clipping.State.NEW


@pytest.mark.parametrize("query", ["", "报道"])
def test_the_list_costs_the_same_queries_for_10_and_50_stories(client, editor, query):
    industries = list(Industry.objects.all()[:2])
    word = WatchWord.objects.create(word="许昌")

    def stories(n):
        for i in range(n):
            lead, reprints = story_of(f"第{i}条报道", ("经济日报", "转载"), text="报道正文")
            lead.industries.set(industries)
            reprints[0].watch_words.set([word])

    client.force_login(editor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, {"q": query} if query else {})
        assert response.status_code == 200
        return len(captured), len(row_titles(response))

    stories(10)
    client.get(LIST)  # the session's first request loads what later ones find cached
    small, rows = queries()
    assert rows == 10
    stories(40)
    large, rows = queries()
    assert rows == 50
    assert large == small


def test_the_count_stops_at_the_limit_and_says_so(editor_client, monkeypatch):
    from apps.intake import admin as intake_admin

    monkeypatch.setattr(intake_admin, "DESK_COUNT_LIMIT", 3)
    for i in range(5):
        story_of(f"报道{i}")
    response = editor_client.get(LIST)
    assert response.context["cl"].result_count == 3
    assert "只计数并分页显示最新的 3 条" in response.content.decode()


# --- a clipping's page ------------------------------------------------------------------------


def test_a_clippings_page_shows_its_text_safely_beside_the_original_and_the_story(editor_client):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    lead, (reprint,) = story_of(
        "原发的报道",
        ("经济日报", "转载的报道"),
        lead_fields={
            "html": '<p>正文第一段</p><img alt="图"><script>alert(1)</script>',
            "industry_scores": {industry.slug: 0.87},
            "summary": "机器写的摘要",
        },
    )
    response = editor_client.get(change_url(lead))
    assert response.status_code == 200
    page = page_of(response)
    text = page.xpath('//article[@class="clipping-text"]')[0]
    assert "正文第一段" in text.text_content()
    assert not text.xpath(".//script")
    original = page.xpath(f'//a[@href="{lead.url}"]')[0]
    assert (original.get("target"), original.get("rel")) == ("_blank", "noopener noreferrer")
    story = page_of(editor_client.get(change_url(reprint))).xpath('//ul[@class="desk-story"]/li')
    assert [li.text_content().startswith("原发") for li in story] == [True, False]
    assert "（本篇）" in story[1].text_content()

    page = page_of(editor_client.get(change_url(lead)))
    assert "新能源汽车（0.87）" in page.xpath('//div[@id="id_industries"]')[0].text_content()
    labels = " ".join(page.xpath("//label/text()"))
    assert "产业（自动生成）" in labels and "摘要草稿（自动生成（摘句））" in labels
    assert not page.xpath('//input[@name="title"]')  # title and text are read-only


def save(client, clipping, **data):
    data.setdefault("summary", clipping.summary)
    data.setdefault("industries", [i.pk for i in clipping.industries.all()])
    return client.post(change_url(clipping), data)


def test_saving_the_page_is_the_editors_review(editor_client):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    clipping, _ = story_of("待审的素材", lead_fields={"summary": "机器摘要"})

    response = save(editor_client, clipping, industries=[industry.pk], title="改不了的标题")
    assert response.status_code == 302
    clipping.refresh_from_db()
    assert clipping.industries_reviewed
    assert clipping.summary_origin == Clipping.Origin.EXTRACTIVE  # neither edited nor confirmed
    assert list(clipping.industries.all()) == [industry]
    assert clipping.title == "待审的素材"

    save(editor_client, clipping, confirm_summary="on")
    clipping.refresh_from_db()
    assert (clipping.summary_origin, clipping.summary) == (Clipping.Origin.EDITOR, "机器摘要")
    assert not clipping.machine_made

    other, _ = story_of("另一条", lead_fields={"summary": "机器摘要"})
    save(editor_client, other, summary="编辑改写的摘要")
    other.refresh_from_db()
    assert (other.summary_origin, other.summary) == (Clipping.Origin.EDITOR, "编辑改写的摘要")
    labels = " ".join(page_of(editor_client.get(change_url(other))).xpath("//label/text()"))
    assert "摘要草稿" in labels and "自动生成" not in labels


def test_the_page_stars_ignores_and_renews_the_whole_story(editor_client):
    _, (reprint,) = story_of("页面上的操作", ("经济日报", "转载"))
    url = reverse("admin:intake_clipping_state", args=[reprint.pk])
    response = editor_client.post(url, {"state": "ignored"}, follow=True)
    assert "已忽略：2 篇稿件" in response.content.decode()
    assert set(Clipping.objects.values_list("state", flat=True)) == {Clipping.State.IGNORED}
    editor_client.post(url, {"state": "used"})  # forged: only adopting makes 已采用
    assert set(Clipping.objects.values_list("state", flat=True)) == {Clipping.State.IGNORED}
    assert editor_client.get(url).status_code == 405
    editor_client.post(url, {"state": "new"})
    assert set(Clipping.objects.values_list("state", flat=True)) == {Clipping.State.NEW}


# --- 添加链接 -------------------------------------------------------------------------------


ARTICLE_PAGE = """<html><head><meta charset="utf-8">
<title>许昌智能电网装备获国家专项支持</title></head><body><nav>首页 新闻</nav>
<article><h1>许昌智能电网装备获国家专项支持</h1>
<p>近日，许昌市电力装备企业承担的特高压智能变压器项目获国家专项资金支持，项目总投资
十二亿元，建成后将新增产值三十亿元。</p>
<p>该项目由多家企业联合攻关，围绕智能电网关键装备开展研发，预计明年投产。</p>
</article><footer>版权所有</footer></body></html>"""


@pytest.fixture
def site(settings):
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.INTAKE_CONNECT_TIMEOUT = 2
    settings.INTAKE_TOTAL_TIMEOUT = 3
    server = Site()
    yield server
    server.close()


def test_adding_a_link_clips_it_and_opens_its_page(editor_client, site):
    site.routes["/news/1.html"] = (
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        ARTICLE_PAGE.encode(),
    )
    response = editor_client.post(ADD_LINK, {"url": site.url("/news/1.html")})
    clipping = Clipping.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(clipping)
    assert "智能电网" in clipping.title
    page = editor_client.get(response["Location"]).content.decode()
    assert "已添加素材" in page


def test_a_link_that_cannot_be_clipped_says_why_and_keeps_the_address(editor_client, site):
    address = site.url("/missing.html")
    response = editor_client.post(ADD_LINK, {"url": address})
    assert response.status_code == 200
    page = page_of(response)
    assert page.xpath('//input[@name="url"]/@value') == [address]
    errors = " ".join(page.xpath('//ul[@class="errorlist"]//text()'))
    assert "404" in errors
    assert not Clipping.objects.exists()

    response = editor_client.post(ADD_LINK, {"url": ""})
    assert "请填写要添加的文章链接。" in response.content.decode()


def test_the_desks_pages_are_in_chinese(editor_client, editor, reviewer, client):
    lead, (reprint,) = story_of("语言检查", ("经济日报", "转载"), text="正文")
    issue = IssueFactory(year=2025, number=20)
    section = Section.objects.first()
    article = adopting.adopt(lead, issue=issue, section=section, user=editor)
    pages = [LIST, f"{LIST}?q=正文", change_url(lead), change_url(reprint), ADD_LINK,
             reverse("admin:intake_clipping_adopt", args=[reprint.pk]),
             reverse("admin:intake_clipping_adopt", args=[lead.pk]),  # used: refused
             reverse("admin:articles_article_change", args=[article.pk]),  # 素材来源
             reverse("admin:intake_watchword_changelist")]  # fmt: skip
    typed = user_content()
    for url in pages:
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert not english(response.content, typed), url
    asked = editor_client.post(
        reverse("admin:intake_clipping_adopt", args=[reprint.pk]),
        {"issue": issue.pk, "section": section.pk},
    )
    assert "确认仍要再加入一篇吗" in asked.content.decode()
    assert not english(asked.content, typed)
    client.force_login(reviewer)
    response = client.get(reverse("admin:intake_watchword_bulk"))
    assert not english(response.content, typed)


# --- watch words ------------------------------------------------------------------------------


def test_reviewers_add_many_watch_words_at_once_and_editors_only_look(client, reviewer, editor):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    WatchWord.objects.create(word="宇通")
    bulk = reverse("admin:intake_watchword_bulk")
    client.force_login(reviewer)
    response = client.post(
        bulk,
        {"industry": industry.pk, "words": "森源电气\n宇通\n\n 许继集团 \n森源电气"},
        follow=True,
    )
    assert "已添加 2 个监测词。已存在而跳过：宇通。" in response.content.decode()
    assert set(WatchWord.objects.filter(industry=industry).values_list("word", flat=True)) == {
        "森源电气",
        "许继集团",
    }
    client.force_login(editor)
    assert client.get(reverse("admin:intake_watchword_changelist")).status_code == 200
    assert client.post(bulk, {"words": "新词"}).status_code == 403
    assert not WatchWord.objects.filter(word="新词").exists()


# --- who reaches the desk -----------------------------------------------------------------------


def test_editors_and_reviewers_use_the_pool_and_subscriber_admins_do_not(
    client, editor, reviewer, subadmin
):
    lead, _ = story_of("权限检查")
    for user, allowed in [(editor, True), (reviewer, True), (subadmin, False)]:
        client.force_login(user)
        for url in (LIST, change_url(lead), ADD_LINK):
            assert (client.get(url).status_code == 200) == allowed, (user, url)
    assert (
        not Group.objects.get(name="订户管理")
        .permissions.filter(content_type__app_label="intake")
        .exists()
    )


def test_a_staff_session_without_its_second_factor_reaches_nothing(client, settings, editor):
    settings.OTP_REQUIRED = True
    lead, _ = story_of("需要动态验证码")
    client.force_login(editor)  # a password alone: no verified second factor
    for url in (LIST, change_url(lead), ADD_LINK):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_no_reader_page_shows_a_clipping(client, enterprise):
    story_of("独一无二的素材标题钛合金", text="钛合金素材正文，只在素材库里。")
    issue = IssueFactory(visible=True, year=2024, number=7)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="已发布的文章")
    client.force_login(enterprise)
    search = client.get(reverse("reader:search"), {"q": "钛合金"})
    assert search.status_code == 200
    assert "独一无二的素材标题" not in search.content.decode()
    assert not list(search.context["page_obj"])
    home = client.get(reverse("reader:home"))
    assert home.status_code == 200
    assert "独一无二的素材标题" not in home.content.decode()
    assert "钛合金" not in home.content.decode()


def test_a_staff_member_without_a_role_reaches_nothing(client):
    client.force_login(StaffFactory(username="norole"))
    assert client.get(LIST).status_code == 403
