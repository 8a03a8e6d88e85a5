"""The demo's bundled news sites: served by the development server only, made intake sources
by load_demo, and read by a fetching round into a filled pool (a GBK page, a reprint)."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from apps.demo import bundled
from apps.intake.models import Clipping, Source, Story, WatchWord
from tests.intake.sites import Site

pytestmark = pytest.mark.django_db

GBK_PAGE = "/demo-sources/xckjj/gzdt/202401/t20240108_1523101.html"
GBK_TITLE = "我市召开2024年全市科技工作会议"
ORIGINAL = "许继集团柔性直流换流阀通过型式试验"
REPRINT = "许昌造换流阀再获突破 助力特高压柔直工程建设"


def test_the_development_server_serves_the_gbk_page_with_its_charset(client, development):
    response = client.get(GBK_PAGE)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")  # GBK bytes indeed, as the government site sends
    page = response.content.decode("gbk")
    assert f"<title>{GBK_TITLE}-许昌市科学技术局</title>" in page
    # Asked again with its validator, as intake asks: not modified.
    again = client.get(GBK_PAGE, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_feeds_link_to_the_address_they_are_served_from(client, development):
    response = client.get("/demo-sources/kjrb/rss.xml")

    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = response.content.decode()
    assert "<link>http://testserver/demo-sources/kjrb/html/2024-01/08/" in feed
    assert "{{base}}" not in feed
    assert client.get("/demo-sources/hnrb/feed.json")["Content-Type"].startswith(
        "application/feed+json"
    )
    assert client.get("/demo-sources/chaoying/atom.xml")["Content-Type"].startswith(
        "application/atom+xml"
    )


def test_nothing_outside_the_bundled_sites_is_served(client, development):
    for path in [
        "/demo-sources/..%2Fbundled.py",
        "/demo-sources/kjrb/..%2F..%2Fviews.py",
        "/demo-sources/%2Fetc%2Fpasswd",
        "/demo-sources/kjrb/",
        "/demo-sources/kjrb/missing.htm",
    ]:
        assert client.get(path).status_code == 404, path


def test_in_production_the_address_does_not_exist(client, production):
    with pytest.raises(NoReverseMatch):
        reverse("demo_source", args=["kjrb/rss.xml"])
    with pytest.raises(Resolver404):
        resolve(GBK_PAGE)
    assert client.get(GBK_PAGE).status_code == 404


def load_demo():
    output = io.StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


def test_load_demo_makes_the_sites_sources_once_with_watch_words(settings):
    settings.DEBUG, settings.PORT = True, 8000
    output = load_demo()
    load_demo()

    sources = {s.url: s for s in Source.objects.prefetch_related("industries")}
    assert set(sources) == {
        "http://127.0.0.1:8000/demo-sources/kjrb/rss.xml",
        "http://127.0.0.1:8000/demo-sources/hnrb/feed.json",
        "http://127.0.0.1:8000/demo-sources/xckjj/gzdt/index.html",
        "http://127.0.0.1:8000/demo-sources/chaoying/atom.xml",
    }
    gov = sources["http://127.0.0.1:8000/demo-sources/xckjj/gzdt/index.html"]
    assert (gov.kind, gov.name) == (Source.Kind.PAGE, "许昌市科学技术局·工作动态（演示）")
    industry_site = sources["http://127.0.0.1:8000/demo-sources/chaoying/atom.xml"]
    assert [i.name for i in industry_site.industries.all()] == ["新材料"]
    assert "素材库：4 个演示信息源" in output

    words = {w.word: w for w in WatchWord.objects.select_related("industry")}
    for local in [
        "许昌",
        "许继",
        "瑞贝卡",
        "黄河旋风",
        "长葛",
        "禹州",
        "鄢陵",
        "襄城",
        "魏都",
        "建安",
    ]:
        assert words[local].industry is None
    assert words["超硬材料"].industry.name == "新材料"
    assert words["假发"].industry.name == "发制品"
    assert len(words) == len(bundled.WATCH_WORDS)


def test_a_run_on_another_port_moves_the_sources_and_retries_those_never_read(settings):
    settings.DEBUG, settings.PORT = True, 8000
    load_demo()
    Source.objects.update(consecutive_failures=1, last_error="无法连接到服务器。")
    settings.PORT = 9000

    load_demo()

    assert Source.objects.count() == 4
    for source in Source.objects.all():
        assert source.url.startswith("http://127.0.0.1:9000/demo-sources/")
        assert (source.consecutive_failures, source.last_error) == (0, "")


@pytest.fixture
def demo_site():
    """The bundled sites on a loopback server of the suite's own, at the same paths as the
    development server serves them (its route exists only in a DEBUG process)."""
    site = Site()
    base = site.url("/demo-sources")
    for file in bundled.SOURCES_DIR.rglob("*"):
        if file.is_file():
            path = file.relative_to(bundled.SOURCES_DIR).as_posix()
            body, content_type = bundled.read(path, base)
            site.routes[f"/{bundled.URL_PREFIX}{path}"] = (
                200,
                {"Content-Type": content_type},
                body,
            )
    yield site
    site.close()


def test_a_round_over_the_demo_sources_fills_the_pool(settings, demo_site):
    from apps.intake.ingest import run_round

    settings.DEBUG, settings.PORT = True, demo_site.port
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.INTAKE_HOST_INTERVAL = 0
    load_demo()

    reports = run_round(list(Source.objects.prefetch_related("industries")))

    assert {r.source.url.rsplit("/demo-sources/", 1)[1]: (r.error, r.new) for r in reports} == {
        "kjrb/rss.xml": ("", 8),
        "hnrb/feed.json": ("", 4),
        "xckjj/gzdt/index.html": ("", 6),
        "chaoying/atom.xml": ("", 3),
    }
    assert Clipping.objects.count() == 21
    # The GBK page, in its own characters, without the site's chrome.
    gbk = Clipping.objects.get(url=demo_site.url(GBK_PAGE))
    assert gbk.title == GBK_TITLE
    assert "全市高新技术企业达到523家，科技型中小企业突破1800家" in gbk.text
    assert "网站标识码" not in gbk.text and "无障碍浏览" not in gbk.text
    assert gbk.source_name == "许昌市科学技术局·工作动态（演示）"
    # The reprint: one story of two, the earlier (科技日报) its original.
    stories = Clipping.objects.values("story").annotate(size=Count("pk")).order_by()
    [shared] = [row["story"] for row in stories if row["size"] > 1]
    story = Story.objects.get(pk=shared)
    assert {c.title for c in story.clippings.all()} == {ORIGINAL, REPRINT}
    assert (story.lead.title, story.size) == (ORIGINAL, 2)
    assert len(stories) == 20
    # Watch words flag what they name.
    original = Clipping.objects.get(title=ORIGINAL)
    assert {"许继", "柔性直流"} <= {w.word for w in original.watch_words.all()}
