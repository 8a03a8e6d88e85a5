"""Parts of words, phrases, exclusions, editor's notes and hostile queries, on either database."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.search.indexing import refresh
from apps.search.query import parse
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db
URL = reverse("reader:search")


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False


@pytest.fixture
def demo_leader(client, demo):
    client.force_login(get_user_model().objects.get(username="leader"))
    return client


def titles(response):
    return [a.title for a in response.context["page_obj"]]


def issues(response):
    return [str(issue) for issue in response.context.get("issues") or []]


def publish(title, body="<p>正文</p>", **fields):
    issue = fields.pop("issue", None) or IssueFactory(visible=True)
    article = ArticleFactory(issue=issue, title=title, body=body, **fields)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
    refresh([article.pk])
    return article


def test_the_demo_leader_finds_parts_of_words_phrases_and_the_editors_note(demo_leader):
    response = demo_leader.get(URL, {"q": "新材"})
    assert "中国航空创新创业大赛展现民营企业科创活力" in titles(response)
    # The live issue's note says 新材料; the issue in review says it too, and stays hidden.
    assert issues(response) == ["2023年第12期（总第12期）"]

    response = demo_leader.get(URL, {"q": '"综合科技创新"'})
    assert titles(response)[0] == "我国综合科技创新水平持续提升"
    assert "<mark>综合科技创新</mark>" in response.content.decode()

    response = demo_leader.get(URL, {"q": "“智造之都宜居许昌”"})
    assert issues(response) == ["2023年第12期（总第12期）"]
    page = response.content.decode()
    assert 'href="/issues/2023/12/"' in page
    assert "<mark>智造之都宜居许昌</mark>" in page


def test_a_draft_issues_note_is_not_searchable(demo_leader):
    # From the note of the issue in review (not live yet).
    response = demo_leader.get(URL, {"q": "聚焦新材料与智能装备"})
    assert titles(response) == [] and issues(response) == []
    assert response.context["page_obj"].total == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("新材", "新材料产业园开工"),  # the start of a word
        ("材料产", "新材料产业园开工"),  # across two words
        ("业园", "新材料产业园开工"),  # the end of one word and the start of the next
        ("eleven", "ElevenLabs 发布新模型"),  # the start of a Latin word, any case
        ("ELEVEN", "ElevenLabs 发布新模型"),
    ],
)
def test_parts_of_words_are_found(client, enterprise, query, expected):
    publish("新材料产业园开工")
    publish("ElevenLabs 发布新模型")
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": query})) == [expected]


@pytest.mark.parametrize("query", ["创", "“创”", "创，", "-新 创"])
def test_a_single_character_asks_for_two(client, enterprise, query):
    publish("科技创新")
    client.force_login(enterprise)
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert response.context["page_obj"] is None
    assert "请至少输入两个字" in response.content.decode()


def test_a_single_character_beside_a_word_is_left_out(client, enterprise):
    publish("科技创新")
    client.force_login(enterprise)
    response = client.get(URL, {"q": "创 科技"})
    assert titles(response) == ["科技创新"]
    assert "单个字无法检索" in response.content.decode()


def test_quotes_ask_for_the_words_in_a_row(client, enterprise):
    publish("科技与创新并举")
    publish("科技创新大会召开")
    client.force_login(enterprise)
    assert sorted(titles(client.get(URL, {"q": "科技创新"}))) == [
        "科技与创新并举",
        "科技创新大会召开",
    ]
    assert titles(client.get(URL, {"q": '"科技创新"'})) == ["科技创新大会召开"]
    assert titles(client.get(URL, {"q": '"创新科技"'})) == []


def test_a_minus_excludes_a_word(client, enterprise):
    publish("新能源汽车产量增长")
    publish("新能源电池项目投产")
    publish("新能源", body="<p>汽车</p>")  # excluded for its body, though found by its title
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": "新能源 -汽车"})) == ["新能源电池项目投产"]
    found = titles(client.get(URL, {"q": '新能源 -"电池项目"'}))
    assert sorted(found) == ["新能源", "新能源汽车产量增长"]
    response = client.get(URL, {"q": "-汽车 -电池"})
    assert response.context["page_obj"] is None
    assert "“-词”只用来排除" in response.content.decode()


def test_titles_are_escaped_then_marked(client, enterprise):
    publish("<b>氢能</b>产业&规划")
    client.force_login(enterprise)
    page = client.get(URL, {"q": "氢能"}).content.decode()
    assert "&lt;b&gt;<mark>氢能</mark>&lt;/b&gt;产业&amp;规划" in page
    assert "<b>氢能</b>" not in page


def test_excerpts_show_the_body_as_text_marked_once(client, enterprise):
    publish(
        "园区动态",
        body='<p>推进<strong>氢能</strong>产业&amp;<a href="/x">储能</a>，'
        "&lt;script&gt;不会执行&lt;/script&gt;</p><p>第二段</p>",
    )
    client.force_login(enterprise)
    page = client.get(URL, {"q": "氢能产业"}).content.decode()
    # The tags are gone, the inline one does not split the words, entities are read once and
    # escaped once: the reader sees the text as it was written, a space between paragraphs.
    excerpt = "推进<mark>氢能产业</mark>&amp;储能，&lt;script&gt;不会执行&lt;/script&gt; 第二段"
    assert excerpt in page
    assert "<strong>" not in page.split('class="search-snippet"')[1]


def test_a_plain_text_summary_keeps_its_angle_brackets_in_the_excerpt(client, enterprise):
    publish("空气质量", summary="PM2.5浓度<35微克，指数>50", body="<p>科技创新</p>")
    client.force_login(enterprise)
    page = client.get(URL, {"q": "科技创新"}).content.decode()
    assert "PM2.5浓度&lt;35微克，指数&gt;50 <mark>科技创新</mark>" in page


def test_parts_of_words_respect_what_the_reader_may_see(client, enterprise, leader):
    publish("领导参阅：氢能规划", visibility=Article.Visibility.LEADERSHIP)
    hidden = ArticleFactory(issue=IssueFactory(status=Issue.Status.DRAFT), title="草稿：氢能示范")
    refresh([hidden.pk])
    IssueFactory(status=Issue.Status.REVIEW, editor_note="<p>氢能规划的编者按</p>")
    client.force_login(enterprise)
    response = client.get(URL, {"q": "能规"})
    assert titles(response) == [] and issues(response) == []
    assert response.context["page_obj"].total == 0
    assert "氢能" not in response.content.decode().split("</form>")[1]
    client.force_login(leader)
    assert titles(client.get(URL, {"q": "能规"})) == ["领导参阅：氢能规划"]


def test_an_editors_note_gives_a_row_for_its_issue(client, enterprise):
    issue = IssueFactory(
        visible=True, year=2025, number=3, editor_note="<p>本期关注<strong>低空经济</strong>。</p>"
    )
    client.force_login(enterprise)
    response = client.get(URL, {"q": "低空经济"})
    assert titles(response) == []
    assert issues(response) == [str(issue)]
    page = response.content.decode()
    assert f'href="{issue.get_absolute_url()}"' in page
    assert "没有找到" not in page
    # A note belongs to no industry or section, but has a year.
    assert issues(client.get(URL, {"q": "低空经济", "year": "2024"})) == []
    assert issues(client.get(URL, {"q": "低空经济", "section": "general-news"})) == []
    assert issues(client.get(URL, {"q": "低空经济 -关注"})) == []


def test_notes_match_latin_letters_in_either_case_and_chinese_as_written(client, enterprise):
    issue = IssueFactory(visible=True, year=2025, number=5, editor_note="<p>ChatGPT与低空经济</p>")
    client.force_login(enterprise)
    for query in ["chatgpt", "CHATGPT 低空", "低空经济"]:
        assert issues(client.get(URL, {"q": query})) == [str(issue)], query
    assert issues(client.get(URL, {"q": "低空经济 -chatgpt"})) == []


@pytest.mark.parametrize(
    "query",
    [
        '"综合科技',  # an unbalanced quote
        '"',
        '""',
        "-",
        "--",
        "*",
        "新材*",
        "^新材",
        "新材:料",
        "title:新材",
        "{title}:新材",
        "(新材 OR 材料)",
        "NEAR(新材 材料, 2)",
        "新材 AND 材料 NOT 汽车",
        "新材 & !材料 | 汽车 <-> 产业",
        "'; DROP TABLE search_fts; --",
        "1' OR '1'='1",
        "\\",
        "％_%",
        "科" * 300,
        "新材 " * 60,
        '"' * 99,
        "－汽车",
        "🙂🙂",
    ],
)
def test_hostile_queries_get_a_page(client, enterprise, query):
    publish("新材料产业园开工")
    client.force_login(enterprise)
    response = client.get(URL, {"q": query})
    assert response.status_code == 200


def test_nul_in_a_query_is_refused_kindly(client, enterprise):
    client.force_login(enterprise)
    assert client.get(URL, {"q": "新材\x00料"}).status_code == 400


@pytest.mark.parametrize("page", ["2", "999", "abc", "-1", "0", "9" * 30])
def test_any_page_number_gets_a_page(client, enterprise, page):
    publish("新材料产业园开工")
    client.force_login(enterprise)
    # A page number that is not one is dropped on the way (a redirect), never an error.
    response = client.get(URL, {"q": "新材", "page": page}, follow=True)
    assert response.status_code == 200
    assert titles(response) == ["新材料产业园开工"]


def test_the_parser_keeps_syntax_out_of_the_databases():
    query = parse('NEAR(a b) "x" * ^ : -"y')
    tokens = [t for g in query.groups + query.excluded for p in g.phrases for t in p.tokens]
    assert all(t.isalnum() for t in tokens)
    assert parse("创").notice.startswith("请至少输入两个字")


def test_full_width_letters_and_digits_are_the_same(client, enterprise):
    publish("ＡＩ芯片出货量２０２５年翻番")
    client.force_login(enterprise)
    assert titles(client.get(URL, {"q": "AI芯片"})) == ["ＡＩ芯片出货量２０２５年翻番"]
    assert titles(client.get(URL, {"q": "2025"})) == ["ＡＩ芯片出货量２０２５年翻番"]


def test_leaders_see_the_leadership_mark_in_results(client, leader):
    publish("储能内部参阅报告", visibility=Article.Visibility.LEADERSHIP)
    client.force_login(leader)
    page = client.get(reverse("reader:search"), {"q": "储能"}).content.decode()
    assert "领导参阅" in page


def test_a_cached_search_never_crosses_audiences_or_outlives_a_withdrawal(
    client, leader, enterprise, reviewer
):
    from apps.workflow import steps

    secret = publish("储能内部参阅报告", visibility=Article.Visibility.LEADERSHIP)
    publish("储能公开报告", issue=secret.issue)
    url = reverse("reader:search")
    client.force_login(leader)
    assert "内部参阅报告" in client.get(url, {"q": "储能"}).content.decode()
    client.force_login(enterprise)
    found = client.get(url, {"q": "储能"}).content.decode()
    assert "内部参阅报告" not in found and "公开报告" in found
    steps.withdraw_issue(Issue.objects.get(pk=secret.issue_id), by=reviewer, comment="撤回")
    client.force_login(leader)
    again = client.get(url, {"q": "储能"}).content.decode()
    assert "内部参阅报告" not in again and "公开报告" not in again
