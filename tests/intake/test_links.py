"""One address per article, and the article links of a list page (apps.intake.links)."""

import re
from pathlib import Path

import pytest

from apps.intake.decoding import ReadError
from apps.intake.links import (
    MAX_LINKS,
    article_links,
    canonical,
    check_selector,
    registrable_domain,
)

PAGES = Path(__file__).parent / "pages"
LIST_PAGE = (PAGES / "list_page.html").read_text("utf-8")
LIST_URL = "http://kjt.henan.gov.cn/xwzx/gzdt/"
HEADLINE = "许昌市科技创新大会召开"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://KJT.Henan.GOV.cn/2024/03-05/2934821.html",
            "http://kjt.henan.gov.cn/2024/03-05/2934821.html",
        ),
        ("http://kjt.henan.gov.cn:80/a/1.html", "http://kjt.henan.gov.cn/a/1.html"),
        ("https://www.stdaily.com:443/a/1.html", "https://www.stdaily.com/a/1.html"),
        ("http://10.0.0.8:8080/a/1.html", "http://10.0.0.8:8080/a/1.html"),
        ("https://www.stdaily.com/a/1.html#comments", "https://www.stdaily.com/a/1.html"),
        ("https://www.stdaily.com", "https://www.stdaily.com/"),
        (
            "https://www.stdaily.com/a/1.html?utm_source=wechat&utm_medium=share&utm_campaign=x",
            "https://www.stdaily.com/a/1.html",
        ),
        (
            "https://www.stdaily.com/a/1.html?spm=a2c4g.11186623&from=singlemessage",
            "https://www.stdaily.com/a/1.html",
        ),
        (
            "https://m.ce.cn/a.shtml?share_token=abc&shareId=9&sharer_shareid=1",
            "https://m.ce.cn/a.shtml",
        ),
        (
            "http://www.gov.cn/a/content_123.htm?isappinstalled=0&clicktime=1709600000",
            "http://www.gov.cn/a/content_123.htm",
        ),
        # What chooses the article is kept, sorted.
        (
            "http://a.cn/detail.jsp?id=1234&page=2&source=rss",
            "http://a.cn/detail.jsp?id=1234&page=2&source=rss",
        ),
        (
            "http://a.cn/detail.jsp?page=2&id=1234&utm_source=x",
            "http://a.cn/detail.jsp?id=1234&page=2",
        ),
        ("http://a.cn/show.asp?2024", "http://a.cn/show.asp?2024"),
        ("http://a.cn/view.php?q=a+b", "http://a.cn/view.php?q=a+b"),
        # Java sites put the session in the path.
        (
            "http://a.gov.cn/art/show.jsp;jsessionid=0A1B2C3D?id=1234",
            "http://a.gov.cn/art/show.jsp?id=1234",
        ),
        ("http://a.cn/新闻/1.html", "http://a.cn/%E6%96%B0%E9%97%BB/1.html"),
        (" http://a.cn/1.html\n", "http://a.cn/1.html"),
    ],
)
def test_canonical(url, expected):
    assert canonical(url) == expected


def test_a_wechat_share_and_the_original_article_are_one_address():
    article = "https://mp.weixin.qq.com/s?__biz=MzA3NjQ2&mid=2650001&idx=1&sn=7f3a9c&chksm=84b2"
    shared = (
        "https://mp.weixin.qq.com/s?__biz=MzA3NjQ2&mid=2650001&idx=1&sn=7f3a9c&chksm=84b2"
        "&scene=21&from=timeline&isappinstalled=0&mpshare=1&srcid=0305abc&sharer_sharetime=1709600000"
        "&clicktime=1709600001&enterid=1709600002#wechat_redirect"
    )

    assert canonical(shared) == canonical(article)
    assert canonical(article).endswith("?__biz=MzA3NjQ2&chksm=84b2&idx=1&mid=2650001&sn=7f3a9c")


def test_canonical_is_stable():
    url = "HTTP://WWW.A.CN:80/x/1.html?b=2&a=1&utm_source=x#top"

    assert canonical(canonical(url)) == canonical(url)


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.stdaily.com", "stdaily.com"),
        ("img.stdaily.com", "stdaily.com"),
        ("kjt.henan.gov.cn", "henan.gov.cn"),
        ("www.henan.gov.cn", "henan.gov.cn"),
        ("www.most.gov.cn", "most.gov.cn"),
        ("www.ce.com.cn", "ce.com.cn"),
        ("www.casted.org.cn", "casted.org.cn"),
        ("www.zzu.edu.cn", "zzu.edu.cn"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_registrable_domain(host, site):
    assert registrable_domain(host) == site


def test_the_article_links_of_a_list_page_follow_the_rule():
    assert article_links(LIST_PAGE, LIST_URL) == [
        "http://kjt.henan.gov.cn/2024/03-05/2934821.html",  # once, not again for [详细]
        "http://kjt.henan.gov.cn/2024/03-04/2934310.html",
        "http://kjt.henan.gov.cn/xwzx/gzdt/202403/t20240301_2932001.html",  # relative
        "http://kjt.henan.gov.cn/2024/02-28/2931502.html",  # utm_* removed
        "http://www.henan.gov.cn/2024/02-27/2931005.html",  # the same site: henan.gov.cn
        "http://kjt.henan.gov.cn/2024/02-26/2930777.html",  # #comments removed
        "http://kjt.henan.gov.cn/2024/02-20/2928764.html",
        "http://kjt.henan.gov.cn/2024/03-01/2932500.html",  # the picture news in the sidebar
    ]
    # Left out: the menu, pagination (index_1.html, 下一页), the PDF attachment, the 专题
    # columns, www.most.gov.cn (another site), friendly links, javascript: and mailto:.


def test_a_selector_picks_the_links_inside_the_elements_it_selects():
    links = article_links(LIST_PAGE, LIST_URL, "ul.list")

    assert len(links) == 7
    assert "http://kjt.henan.gov.cn/2024/03-01/2932500.html" not in links  # the sidebar's
    assert not any(link.endswith(".pdf") for link in links)


def test_a_selector_may_pick_the_links_themselves_even_off_the_site():
    links = article_links(LIST_PAGE, LIST_URL, ".right a")

    assert links == [
        "http://kjt.henan.gov.cn/2024/03-01/2932500.html",
        "http://kjt.henan.gov.cn/ztzl/kjcx/",
        "http://kjt.henan.gov.cn/ztzl/xxgcs/",
        "https://www.most.gov.cn/xxgk/xinxifenlei/fdzdgknr/qtwj/qtwj2024/202403/t20240301_189000.html",
    ]


@pytest.mark.parametrize("selector", ["ul.list li[", ">>> a", "a::text"])
def test_a_selector_that_does_not_parse_is_refused_in_chinese(selector):
    with pytest.raises(ReadError, match=re.escape(f"文章链接选择器无效：{selector}")):
        article_links(LIST_PAGE, LIST_URL, selector)
    with pytest.raises(ReadError, match="文章链接选择器无效"):
        check_selector(selector)


@pytest.mark.parametrize("selector", ["", "ul.list li > a", "#content .news-list a[href$='.html']"])
def test_check_selector_accepts_usable_selectors_and_none(selector):
    check_selector(selector)


@pytest.mark.parametrize(
    "href",
    [
        "/zhengce/202403/content_6937000.htm",
        "/art/2024/3/5/art_1229_5678.html",
        "/n1/2024/0305/c1001-40190001.html",
        "/politics/20240305/8d7f6e5a/c.html",
        "/web/detail.jsp?id=12345",
        "/news/2024/12345",
        "/article/98765",
    ],
)
def test_article_like_paths_are_followed(href):
    html = f'<html><body><a href="{href}">{HEADLINE}</a></body></html>'

    assert article_links(html, "http://www.a.gov.cn/list/") == [
        canonical(f"http://www.a.gov.cn{href}")
    ]


@pytest.mark.parametrize(
    ("href", "text"),
    [
        ("/2024/03-05/1001.html", "更多"),  # too short to be a headline
        ("/xwzx/index_2.html", HEADLINE),  # a list page
        ("/xwzx/list_3.html", HEADLINE),
        ("/xwzx/", HEADLINE),  # a column
        ("/about/contact.html", HEADLINE),  # no date, no number
        ("/uploadfiles/2024/03/20240305001.docx", HEADLINE),  # a file
        ("https://www.other.gov.cn/2024/03-05/1001.html", HEADLINE),  # another site
        ("javascript:openArticle(1001)", HEADLINE),
        ("mailto:office@a.gov.cn", HEADLINE),
        ("#2024-03-05", HEADLINE),
        ("ftp://www.a.gov.cn/2024/03-05/1001.html", HEADLINE),
    ],
)
def test_other_links_are_not_followed(href, text):
    html = f'<html><body><a href="{href}">{text}</a></body></html>'

    assert article_links(html, "http://www.a.gov.cn/xwzx/") == []


def test_a_short_text_with_a_full_title_attribute_is_followed():
    html = '<a href="/2024/03-05/1001.html" title="许昌市科技创新大会召开">科技…</a>'

    assert article_links(html, "http://www.a.gov.cn/") == [
        "http://www.a.gov.cn/2024/03-05/1001.html"
    ]


def test_links_are_resolved_against_the_pages_base_element():
    html = (
        '<html><head><base href="http://www.a.gov.cn/xwzx/gzdt/"></head>'
        f'<body><a href="202403/t20240305_1001.html">{HEADLINE}</a></body></html>'
    )

    assert article_links(html, "http://www.a.gov.cn/xwzx/gzdt/index.html") == [
        "http://www.a.gov.cn/xwzx/gzdt/202403/t20240305_1001.html"
    ]


def test_the_page_itself_is_not_one_of_its_links():
    html = f'<a href="">{HEADLINE}</a><a href="?utm_source=x">{HEADLINE}</a>'

    assert article_links(html, "http://www.a.gov.cn/2024/03-05/1001.html") == []


@pytest.mark.parametrize("html", ["", "   ", "<html></html>"])
def test_an_empty_page_has_no_links(html):
    assert article_links(html, LIST_URL) == []


def test_a_huge_list_page_gives_at_most_the_limit_in_page_order():
    items = "".join(
        f'<li><a href="/2024/03-05/{n}.html">{HEADLINE}{n}</a></li>' for n in range(5000)
    )

    links = article_links(f"<ul>{items}</ul>", "http://www.a.gov.cn/")

    assert len(links) == MAX_LINKS
    assert links[0] == "http://www.a.gov.cn/2024/03-05/0.html"
    assert links[-1] == f"http://www.a.gov.cn/2024/03-05/{MAX_LINKS - 1}.html"
