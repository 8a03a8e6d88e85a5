"""Reading RSS, Atom and JSON Feed (apps.intake.feeds)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps.intake.decoding import ReadError
from apps.intake.feeds import MAX_ENTRIES, read_feed

PAGES = Path(__file__).parent / "pages"
BEIJING = ZoneInfo("Asia/Shanghai")


def read(name: str, url: str, content_type: str = "") -> list:
    return read_feed((PAGES / name).read_bytes(), url, content_type)


def rss(items: str) -> bytes:
    channel = f"<channel><title>测试</title>{items}</channel>"
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}</rss>'.encode()


def test_rss_091():
    entries = read("feed_rss091.xml", "http://kjj.xuchang.gov.cn/rss.xml", "text/xml")

    assert [(entry.url, entry.title) for entry in entries] == [
        (
            "http://kjj.xuchang.gov.cn/tzgg/2024/0305/1001.html",
            "关于组织申报2024年度许昌市重大科技专项的通知",
        ),
        (
            "http://kjj.xuchang.gov.cn/tzgg/2024/0301/998.html",
            "2024年许昌市科技型中小企业评价工作启动",
        ),
    ]
    assert entries[0].published is None  # RSS 0.91 items carry no date
    assert "现组织申报2024年度许昌市重大科技专项" in entries[0].summary_html


def test_rss_10_rdf():
    entries = read("feed_rss1_rdf.xml", "https://www.casted.org.cn/channel/rss")

    assert [entry.url for entry in entries] == [
        "https://www.casted.org.cn/channel/newsinfo/8901",
        "https://www.casted.org.cn/channel/newsinfo/8895",
    ]
    assert entries[0].title == "《中国区域科技创新评价报告2023》发布"
    assert entries[0].published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)  # dc:date
    assert entries[1].published == datetime(2024, 3, 1, tzinfo=BEIJING)  # a day, no time


def test_rss_20_with_full_content():
    entries = read(
        "feed_rss2_content.xml", "https://www.stdaily.com/rss/yaowen.xml", "application/rss+xml"
    )

    assert [entry.url for entry in entries] == [
        "https://www.stdaily.com/yaowen/2024-03/05/content_1234567.html",  # utm_* removed
        "https://www.stdaily.com/yaowen/2024-03/05/content_1234501.html",  # relative, resolved
        "https://www.stdaily.com/guoji/2024-03/02/content_1234215.html",
    ]  # the item without a link is skipped
    first = entries[0]
    assert first.title == "我国科研团队研制出新型高效钙钛矿叠层太阳能电池"
    assert first.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)
    assert (
        first.summary_html
        == "<p>我国科研团队研制出光电转换效率达33.9%的钙钛矿/晶硅叠层太阳能电池。</p>"
    )
    # content:encoded is the full text, its image address made absolute, its script gone.
    assert "“叠层电池的难点在于上下两层电池的电流匹配和界面损耗。”" in first.content_html
    assert (
        'src="https://www.stdaily.com/images/2024-03/05/8f3a1c2e-tandem-cell.jpg"'
        in first.content_html
    )
    assert "<script" not in first.content_html
    assert "alert" not in first.content_html
    assert entries[1].content_html == ""


def test_rss_dates_without_an_offset_are_beijing_time_and_others_keep_theirs():
    entries = read("feed_rss2_content.xml", "https://www.stdaily.com/rss/yaowen.xml")

    assert entries[1].published == datetime(
        2024, 3, 5, 9, 0, tzinfo=BEIJING
    )  # "2024-03-05 09:00:00"
    assert entries[2].published == datetime(2024, 3, 2, 2, 0, tzinfo=UTC)  # "… GMT"
    assert entries[2].published == datetime(2024, 3, 2, 10, 0, tzinfo=BEIJING)


def test_atom():
    entries = read("feed_atom.xml", "http://www.ce.cn/rss/cysc.xml", "application/atom+xml")

    first, second = entries
    assert first.url == "http://www.ce.cn/cysc/newmain/yc/jsxw/202403/t20240305_38940001.shtml"
    assert (
        first.title == "新能源汽车产销量连续9年位居全球第一 产业链优势持续巩固"
    )  # HTML title, as text
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=BEIJING)  # published, not updated
    assert first.summary_html == "<p>2023年我国新能源汽车产销量分别完成958.7万辆和949.5万辆。</p>"
    assert first.content_html.startswith(
        "<p>2023年我国新能源汽车产销量分别完成958.7万辆和949.5万辆，连续9年"
    )
    # A relative link is resolved against the feed's address.
    assert second.url == "http://www.ce.cn/rss/cysc/newmain/yc/jsxw/202403/t20240304_38930002.shtml"
    assert second.published == datetime(2024, 3, 4, 16, 45, tzinfo=UTC)  # only <updated>


def test_json_feed():
    entries = read(
        "feed_json.json", "https://www.xuchang.gov.cn/feed.json", "application/feed+json"
    )

    assert [entry.url for entry in entries] == [
        "https://www.xuchang.gov.cn/zwgk/xcyw/2024/0305/12345.html",
        "https://www.xuchang.gov.cn/zwgk/xcyw/2024/0304/12301.html",  # relative, resolved
        "https://www.henan.gov.cn/2024/02-28/2931600.html",  # external_url
    ]  # skipped: no url, a number for a url, a javascript: url, an item that is no object
    first, second, third = entries
    assert first.title == "许昌市召开2024年科技创新大会"
    assert first.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)
    assert first.summary_html == "<p>许昌市召开2024年科技创新大会。</p>"
    assert 'src="https://www.xuchang.gov.cn/uploads/2024/0305/meeting.jpg"' in first.content_html
    assert "onclick" not in first.content_html
    assert second.content_html == (
        "<p>2023年，许昌发制品出口额达到25亿美元。</p><p>发制品产业是许昌的优势主导产业之一。</p>"
    )
    assert second.published == datetime(2024, 3, 4, 16, 0, tzinfo=BEIJING)
    # Fields of the wrong type count as absent.
    assert (third.title, third.published) == ("", None)


def test_json_feed_is_recognised_without_its_content_type():
    assert len(read("feed_json.json", "https://www.xuchang.gov.cn/feed.json", "text/plain")) == 3


def test_a_gbk_feed_declared_gb2312_in_its_xml_declaration():
    entries = read("feed_rss2_gbk.xml", "http://kjt.henan.gov.cn/rss.xml", "text/xml")

    assert entries[0].title == "许昌市3家企业入选2024年度河南省创新龙头企业名单"
    assert (
        "许昌镕达新材料有限公司3家企业榜上有名。总经理李喆表示，啰嗦的流程要简化。"
        in entries[0].summary_html
    )


def test_a_malformed_feed_that_still_yields_entries_is_read():
    body = rss(
        "<item><title>未闭合的条目</title><link>http://a.cn/2024/1.html</link><description>正文<b>加粗</description></item>"
    )

    assert [entry.url for entry in read_feed(body, "http://a.cn/rss.xml")] == [
        "http://a.cn/2024/1.html"
    ]


def test_a_malformed_feed_without_entries_is_refused_in_chinese():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>\xe6\xb5\x8b</titl'

    with pytest.raises(ReadError, match="订阅源格式错误：XML 无法解析"):
        read_feed(body, "http://a.cn/rss.xml")


def test_a_web_page_served_in_place_of_a_feed_is_refused_in_chinese():
    body = (PAGES / "news_article.html").read_bytes()

    with pytest.raises(ReadError, match="订阅源格式错误：该地址返回的是网页"):
        read_feed(body, "https://www.stdaily.com/rss.xml", "text/html; charset=utf-8")


@pytest.mark.parametrize("body", [b"", b"  \r\n "])
def test_an_empty_answer_is_refused_in_chinese(body):
    with pytest.raises(ReadError, match="订阅源为空"):
        read_feed(body, "http://a.cn/rss.xml")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<opml version='2.0'><body/></opml>", "不是 RSS、Atom 或 JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "JSON 无法解析"),
        (b'{"title": "\xe8\xae\xa2\xe9\x98\x85", "items": []}', "不是 JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "缺少 items"),
        (b"[1, 2, 3]", "XML 无法解析"),
    ],
)
def test_what_is_no_feed_is_refused_in_chinese(body, reason):
    with pytest.raises(ReadError, match=reason):
        read_feed(body, "http://a.cn/rss.xml")


def test_a_well_formed_feed_with_nothing_in_it_is_no_error():
    assert read_feed(rss(""), "http://a.cn/rss.xml") == []


def test_only_web_links_are_kept():
    items = "".join(
        f"<item><title>条目</title><link>{link}</link></item>"
        for link in (
            "javascript:alert(1)",
            "ftp://a.cn/1.txt",
            "mailto:a@a.cn",
            "https://a.cn/ok.html",
        )
    )

    assert [entry.url for entry in read_feed(rss(items), "http://a.cn/rss.xml")] == [
        "https://a.cn/ok.html"
    ]


def test_an_entry_listed_twice_is_read_once():
    item = "<item><title>重复的条目</title><link>http://a.cn/1.html?utm_source={n}</link></item>"

    entries = read_feed(rss(item.format(n=1) + item.format(n=2)), "http://a.cn/rss.xml")

    assert [entry.url for entry in entries] == ["http://a.cn/1.html"]


def test_a_huge_feed_is_cut_at_the_limit():
    items = "".join(
        f"<item><title>第{n}条</title><link>http://a.cn/2024/{n}.html</link></item>"
        for n in range(300)
    )

    entries = read_feed(rss(items), "http://a.cn/rss.xml")

    assert len(entries) == MAX_ENTRIES
    assert entries[-1].url == f"http://a.cn/2024/{MAX_ENTRIES - 1}.html"  # the first ones, in order


def test_a_huge_json_feed_is_cut_at_the_limit():
    items = [{"id": str(n), "url": f"http://a.cn/{n}.html"} for n in range(300)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()

    assert len(read_feed(body, "http://a.cn/feed.json")) == MAX_ENTRIES


def test_a_feed_is_never_taken_for_a_file_name_to_open():
    # feedparser opens a file (or a URL) named by a string or bytes; these bytes are a feed.
    with pytest.raises(ReadError):
        read_feed(b"/etc/hostname", "http://a.cn/rss.xml")


def test_external_entities_are_not_read():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>&secret;</title>'
        b"<link>http://a.cn/1.html</link><description>&secret;</description></item></channel></rss>"
    )
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""

    (entry,) = read_feed(body, "http://a.cn/rss.xml")

    assert entry.title == ""
    assert not hostname or hostname not in entry.summary_html
