"""Reading an article out of its page (apps.intake.extracting)."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps.intake.decoding import ReadError, decode
from apps.intake.extracting import extract

PAGES = Path(__file__).parent / "pages"
BEIJING = ZoneInfo("Asia/Shanghai")
NEWS_URL = "https://www.stdaily.com/yaowen/2024-03/05/content_1234567.html"
GOV_URL = "http://kjt.henan.gov.cn/2024/03-05/2934821.html"
PARAGRAPH = (
    "近日，许昌市科技局组织召开2024年全市科技工作会议，总结2023年科技创新工作，安排部署2024年"
    "重点任务。会议强调，要聚焦“6+3+3”产业体系，强化企业创新主体地位，加快推进科技成果转化。"
)


@pytest.fixture(scope="module")
def news():
    return extract((PAGES / "news_article.html").read_text("utf-8"), NEWS_URL)


@pytest.fixture(scope="module")
def gov():
    return extract(decode((PAGES / "gov_article_gbk.html").read_bytes()), GOV_URL)


def page(head: str = "", body: str = "") -> str:
    return (
        f"<html><head><title>科技工作会议</title>{head}</head><body>"
        f'<div class="nav"><a href="/">首页</a> <a href="/xw/">新闻</a></div>'
        f'{body}<div class="content"><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div></body></html>'
    )


def test_the_main_text_of_a_news_page_is_read(news):
    assert news.text.startswith("科技日报北京3月4日电（记者张三）")
    assert news.text.endswith("力争早日实现成果转化。")
    assert "钙钛矿/晶硅叠层太阳能电池样品。受访者供图" in news.text


@pytest.mark.parametrize(
    "frame",
    [
        "首页",  # navigation
        "当前位置",  # breadcrumb
        "分享到",  # share bar
        "QQ空间",
        "责任编辑",
        "相关阅读",
        "我国光伏组件产量连续16年位居全球首位",  # a 相关阅读 headline
        "热点推荐",
        "全国政协十四届二次会议在京开幕",  # a sidebar headline
        "版权所有",  # footer
        "ICP备",
        "字号",
        "扫码关注",
    ],
)
def test_the_frame_of_a_news_page_is_left_out(news, frame):
    assert frame not in news.text
    assert frame not in news.html


def test_paragraphs_are_lines_of_the_plain_text(news):
    lines = news.text.split("\n")

    assert len(lines) == 8  # six paragraphs and two captions
    assert all(line == line.strip() and line for line in lines)


def test_the_title_author_date_and_site_of_a_news_page(news):
    assert news.title == "我国科研团队研制出新型高效钙钛矿叠层太阳能电池"  # not …_要闻_科技日报
    assert news.author == "张三"  # from 作者：张三
    assert news.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)
    assert news.site_name == "科技日报"


def test_images_are_kept_as_absolute_addresses_in_order(news):
    assert news.image_urls == [
        "https://www.stdaily.com/images/2024-03/05/8f3a1c2e-tandem-cell.jpg",
        "https://img.stdaily.com/2024-03/05/c41b7d90-lab.jpg",  # was //img.stdaily.com/…
    ]


def test_the_html_is_sanitized_and_marks_where_each_image_was(news):
    assert "<script" not in news.html
    assert "style=" not in news.html
    # The sanitizer keeps no remote address; the n-th <img> stands for image_urls[n].
    assert news.html.count("<img") == len(news.image_urls)
    assert "src=" not in news.html
    assert news.html.index('alt="钙钛矿/晶硅叠层太阳能电池样品"') < news.html.index(
        'alt="研究人员在实验室测试电池性能"'
    )


def test_a_gbk_government_page_is_read(gov):
    assert gov.title == "许昌市3家企业入选2024年度河南省创新龙头企业名单"
    assert gov.site_name == "河南省科学技术厅"
    assert gov.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)  # <meta name="PubDate">
    assert gov.author == ""
    assert "许昌镕达新材料有限公司总经理李喆表示" in gov.text
    for frame in ("您现在的位置", "浏览次数", "打印本页", "相关新闻", "网站地图", "版权所有"):
        assert frame not in gov.text


def test_the_utf8_twin_of_a_gbk_page_gives_the_same_article(gov):
    twin = extract((PAGES / "gov_article_utf8.html").read_text("utf-8"), GOV_URL)

    assert (twin.title, twin.text, twin.published) == (gov.title, gov.text, gov.published)


def test_the_pubdate_meta_tag_gives_date_and_time():
    found = extract(page(head='<meta name="PubDate" content="2024-03-05 10:20">'), "https://a.cn/a")

    assert found.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)


def test_a_printed_publication_date_is_read():
    found = extract(page(body='<div class="info">发布时间：2024-03-05</div>'), "https://a.cn/a")

    assert found.published == datetime(2024, 3, 5, tzinfo=BEIJING)


def test_a_printed_time_beside_the_date_is_kept():
    body = '<div class="info">2024年3月5日 10:20　来源：经济日报</div>'

    found = extract(page(body=body), "https://a.cn/a")

    assert found.published == datetime(2024, 3, 5, 10, 20, tzinfo=BEIJING)


def test_a_date_with_its_own_offset_keeps_it():
    head = '<meta property="article:published_time" content="2024-03-05T02:20:00Z">'

    found = extract(page(head=head), "https://a.cn/a")

    assert found.published == datetime(2024, 3, 5, 2, 20, tzinfo=UTC)


def test_a_year_in_the_text_is_not_taken_for_a_date():
    # "2024年度" is no publication date; 1 January 2024 would sort the clipping wrongly.
    assert extract(page(), "https://a.cn/a").published is None


def test_the_date_in_the_address_is_used_when_the_page_prints_none():
    found = extract(page(), "http://kjt.henan.gov.cn/2024/03-05/2934821.html")

    assert found.published == datetime(2024, 3, 5, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("来源：科技日报 作者：张三", "张三"),
        ("作者：张三 李四　发布时间：2024-03-05", "张三 李四"),
        ("记者：王五　责任编辑：赵六", "王五"),
        ("来源：河南日报", ""),
    ],
)
def test_the_author_is_read_from_a_chinese_byline(byline, author):
    found = extract(page(body=f'<div class="info">{byline}</div>'), "https://a.cn/a")

    assert found.author == author


def test_the_author_meta_tag_is_read():
    found = extract(page(head='<meta name="author" content="张三">'), "https://a.cn/a")

    assert found.author == "张三"


def test_an_old_page_laid_out_in_one_table_loses_its_frame():
    body = (
        '<table><tr><td class="nav"><a href="/">首页</a> <a href="/a/">机构概况</a></td></tr>'
        f'<tr><td class="zw">{PARAGRAPH}<br>{PARAGRAPH}</td></tr>'
        "<tr><td>版权所有：许昌市科学技术局 豫ICP备12345678号</td></tr></table>"
    )

    found = extract(
        f"<html><head><title>会议</title></head><body>{body}</body></html>", "https://a.cn/"
    )

    assert found.text == f"{PARAGRAPH}\n{PARAGRAPH}"


def test_a_page_whose_paragraphs_are_bare_divs_is_read():
    # TRS-made government pages: no <p>, only <div>s (the fallback extractors find these).
    body = f'<div class="TRS_Editor"><div>{PARAGRAPH}</div><div>{PARAGRAPH}</div></div>'

    found = extract(
        f"<html><head><title>会议</title></head><body>{body}</body></html>", "https://a.cn/"
    )

    assert found.text == f"{PARAGRAPH}\n{PARAGRAPH}"


def test_an_image_appears_once_and_only_with_a_web_address():
    body = (
        '<p><img src="/a.jpg" alt="一"></p>'
        '<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="二"></p>'
        '<p><img src="https://a.cn/a.jpg" alt="三"></p>'
    )

    found = extract(
        page(body=f'<div class="content">{body}<p>{PARAGRAPH}</p></div>'), "https://a.cn/x/"
    )

    assert found.image_urls == ["https://a.cn/a.jpg"]
    assert found.html.count("<img") == 1


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html><body><p>页面不存在</p></body></html>",
        page().replace(PARAGRAPH, "会议召开。"),
    ],
)
def test_a_page_without_main_text_is_refused_in_chinese(html):
    with pytest.raises(ReadError, match="未能从网页中提取正文"):
        extract(html, "https://a.cn/a")


def test_characters_xml_forbids_do_not_stop_the_reading():
    html = page().replace("科技工作会议</title>", "科技工作会议\x00\x0b</title>")

    assert "科技工作会议" in extract(html, "https://a.cn/a").title


def test_a_page_with_an_xml_declaration_is_read():
    html = '<?xml version="1.0" encoding="gbk"?>' + page()

    assert PARAGRAPH in extract(html, "https://a.cn/a").text


def test_the_frame_inside_the_article_container_is_left_out():
    # Many CMSs put the editor's name, the share bar and 相关阅读 inside the article's <div>.
    article = (
        f'<div class="article"><h1>会议召开</h1><p>{PARAGRAPH}</p><p>会议还表彰了先进单位。</p>'
        "<p>（来源：许昌日报）</p><p>责任编辑：李四</p>"
        '<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>'
        '<h3>相关阅读</h3><ul><li><a href="/2024/02-28/1.html">我国光伏组件产量连续16年位居全球首位'
        "</a></li></ul><p>扫一扫在手机打开当前页</p></div>"
    )
    html = f"<html><head><title>会议召开_许昌日报</title></head><body>{article}</body></html>"

    found = extract(html, "https://a.cn/2024/03-05/3.html")

    # The headline is the title, not the first line of the text.
    assert found.title == "会议召开"
    assert found.text == f"{PARAGRAPH}\n会议还表彰了先进单位。\n（来源：许昌日报）"


def test_the_site_name_comes_from_the_title_when_the_address_has_a_port():
    html = (
        "<html><head><title>许继集团柔性直流换流阀通过型式试验_科技日报</title></head><body>"
        "<h1>许继集团柔性直流换流阀通过型式试验</h1>"
        + "<p>许继集团自主研发的柔性直流输电换流阀近日通过型式试验，指标达到国际先进水平。</p>" * 3
        + "</body></html>"
    )
    for url in ("http://127.0.0.1:40407/a/1.html", "http://www.stdaily.com:8080/a/1.html"):
        assert extract(html, url).site_name == "科技日报"
