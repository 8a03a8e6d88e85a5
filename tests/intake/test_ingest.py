"""A fetching round against loopback sites: feeds and list pages followed, GBK pages read,
reprints folded into one story, changed pages updating their clipping, and every failure a
source's error in Chinese that never stops the other sources."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.intake import jobs
from apps.intake.ingest import IntakeError, clip_link, run_round
from apps.intake.models import Clipping, Source, Story, WatchWord
from tests.intake.pagegen import article_page, article_text, list_page, rss
from tests.intake.sites import Site

pytestmark = pytest.mark.django_db

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.0/8"
    settings.INTAKE_HOST_INTERVAL = 0
    settings.INTAKE_TOTAL_TIMEOUT = 2


@pytest.fixture
def site():
    site = Site()
    yield site
    site.close()


def serve_article(site, path, title, paragraphs, **kwargs):
    site.routes[path] = (200, HTML, article_page(title, paragraphs, **kwargs).encode())


def feed_source(site, path="/rss.xml", **kwargs):
    return Source.objects.create(name="科技日报", url=site.url(path), kind="feed", **kwargs)


def test_a_feed_round_stores_each_article_with_its_text_and_source(site):
    titles = ["许昌超硬材料产业链延伸", "长葛再生金属园区建设提速", "禹州钧瓷文化产业园扩容"]
    for n, title in enumerate(titles):
        serve_article(site, f"/news/2024/03/05/a{n}.html", title, article_text(n))
    site.routes["/rss.xml"] = (
        200,
        {"Content-Type": "application/rss+xml", "ETag": '"v1"'},
        rss([(t, site.url(f"/news/2024/03/05/a{n}.html")) for n, t in enumerate(titles)]),
    )
    source = feed_source(site)

    [report] = run_round([source])

    assert (report.new, report.error) == (3, "")
    clippings = Clipping.objects.order_by("title")
    assert sorted(c.title for c in clippings) == sorted(titles)
    clipping = Clipping.objects.get(title=titles[0])
    assert clipping.source == source and clipping.source_name == "科技日报"
    assert article_text(0)[0] in clipping.text
    for chrome in ("分享到", "相关阅读", "版权所有", "当前位置"):
        assert chrome not in clipping.text
    assert clipping.summary and len(clipping.summary) <= 120
    assert clipping.machine_made
    source.refresh_from_db()
    assert source.health == Source.Health.OK and source.etag == '"v1"'
    assert source.next_fetch_at > timezone.now() + timedelta(minutes=59)


def test_a_second_round_asks_conditionally_and_reads_no_known_page_again(site):
    serve_article(site, "/news/2024/03/05/a.html", "许昌超硬材料产业链延伸", article_text(1))
    feed = rss([("许昌超硬材料产业链延伸", site.url("/news/2024/03/05/a.html"))])

    def answer(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, None
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, feed

    site.routes["/rss.xml"] = answer
    source = feed_source(site)
    run_round([source])
    source.refresh_from_db()
    site.requests.clear()

    [report] = run_round([source])

    assert report.not_modified and report.new == 0
    assert [path for path, _ in site.requests] == ["/rss.xml"]
    assert Clipping.objects.count() == 1


def test_a_list_page_is_followed_to_its_articles(site):
    serve_article(
        site, "/gzdt/2024/03/t20240305_101.html", "市科技局召开创新推进会", article_text(5)
    )
    serve_article(
        site, "/gzdt/2024/03/t20240305_102.html", "高新技术企业数量创新高", article_text(6)
    )
    site.routes["/gzdt/"] = (
        200,
        HTML,
        list_page(
            [
                ("市科技局召开创新推进会", "/gzdt/2024/03/t20240305_101.html"),
                ("高新技术企业数量创新高", "/gzdt/2024/03/t20240305_102.html"),
            ]
        ).encode(),
    )
    source = Source.objects.create(name="许昌市科学技术局", url=site.url("/gzdt/"), kind="page")

    [report] = run_round([source])

    assert report.new == 2
    assert set(Clipping.objects.values_list("source_name", flat=True)) == {"许昌市科学技术局"}


def test_a_gbk_page_is_read_as_the_same_characters_as_its_utf8_twin(site):
    title = "许昌市镕金科技公司研发投入增长"
    paragraphs = article_text(7)
    page = article_page(title, paragraphs, charset="gbk")
    site.routes["/gbk/2024/03/05/1.html"] = (
        200,
        {"Content-Type": "text/html; charset=GBK"},
        page.encode("gb18030"),
    )
    source = Source.objects.create(
        name="河南省科技厅", url=site.url("/gbk/2024/03/05/1.html"), kind="link"
    )

    run_round([source])

    clipping = Clipping.objects.get()
    assert clipping.title == title
    assert paragraphs[0] in clipping.text


def test_reprints_fold_into_one_story_and_a_same_topic_article_does_not(site):
    original = article_text(11, sentences=10)
    reprint = [
        "来源：科技日报",
        *original[:-1],
        original[-1].replace("确认", "证实"),
        "责任编辑：李四",
    ]
    serve_article(
        site, "/a/2024/03/04/1.html", "许昌发制品出口创新高", original, date="2024-03-04 08:00"
    )
    serve_article(site, "/b/2024/03/05/1.html", "发制品出口再创新高", reprint, source="大河网")
    serve_article(site, "/c/2024/03/05/1.html", "许昌发制品企业开拓新市场", article_text(12, 10))
    made = [
        Source.objects.create(name=name, url=site.url(path), kind="link")
        for name, path in (
            ("大河网", "/b/2024/03/05/1.html"),
            ("科技日报", "/a/2024/03/04/1.html"),
            ("许昌日报", "/c/2024/03/05/1.html"),
        )
    ]

    run_round(made)

    first = Clipping.objects.get(url__contains="/a/")
    second = Clipping.objects.get(url__contains="/b/")
    distinct = Clipping.objects.get(url__contains="/c/")
    assert first.story_id == second.story_id != distinct.story_id
    story = Story.objects.get(pk=first.story_id)
    assert story.lead_id == first.pk and story.size == 2  # the earliest is the original
    assert Story.objects.count() == 2


def test_a_changed_page_updates_its_clipping_and_never_makes_a_second(site):
    serve_article(site, "/n/2024/03/05/1.html", "中试基地建设措施出台", article_text(20))
    source = Source.objects.create(
        name="河南日报", url=site.url("/n/2024/03/05/1.html"), kind="link"
    )
    run_round([source])
    serve_article(
        site,
        "/n/2024/03/05/1.html",
        "中试基地建设措施出台（更新）",
        [*article_text(20), "补充报道内容如下所述。"],
    )

    [report] = run_round([source])

    assert report.updated == 1
    clipping = Clipping.objects.get()
    assert clipping.title == "中试基地建设措施出台（更新）"
    assert "补充报道" in clipping.text and clipping.changed_at is not None
    assert Story.objects.count() == 1


def test_a_failing_source_records_its_error_in_chinese_and_the_others_go_on(site):
    serve_article(site, "/ok/2024/03/05/1.html", "正常来源的文章标题", article_text(30))
    site.routes["/ok.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss([("正常来源的文章标题", site.url("/ok/2024/03/05/1.html"))]),
    )
    site.routes["/broken.xml"] = (500, {}, b"oops")
    site.routes["/garbage.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        b"<rss><channel><item><title>",
    )
    site.routes["/slow.xml"] = lambda handler: (time.sleep(3), (200, {}, b""))[1]
    good = feed_source(site, "/ok.xml")
    broken = Source.objects.create(name="坏", url=site.url("/broken.xml"), kind="feed")
    garbage = Source.objects.create(name="乱", url=site.url("/garbage.xml"), kind="feed")
    slow = Source.objects.create(name="慢", url=site.url("/slow.xml"), kind="feed")
    missing = Source.objects.create(name="无", url=site.url("/gone.xml"), kind="feed")

    reports = {r.source.pk: r for r in run_round([good, broken, garbage, slow, missing])}

    assert reports[good.pk].new == 1
    for source in (broken, garbage, slow, missing):
        source.refresh_from_db()
        assert source.health == Source.Health.FAILING
        assert source.consecutive_failures == 1
        assert any("\u4e00" <= ch <= "\u9fff" for ch in source.last_error), source.last_error
    assert "500" in Source.objects.get(pk=broken.pk).last_error
    assert "404" in Source.objects.get(pk=missing.pk).last_error


def test_a_page_that_fails_is_skipped_and_its_feed_still_succeeds(site):
    serve_article(site, "/x/2024/03/05/ok.html", "能读的文章标题", article_text(31))
    site.routes["/rss.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss(
            [
                ("能读的文章标题", site.url("/x/2024/03/05/ok.html")),
                ("坏链接", site.url("/x/missing.html")),
            ]
        ),
    )
    source = feed_source(site)

    [report] = run_round([source])

    assert report.new == 1 and len(report.skipped) == 1 and "404" in report.skipped[0]
    source.refresh_from_db()
    assert source.health == Source.Health.OK


def test_pages_not_started_before_the_round_ends_keep_their_source_due(site):
    site.routes["/rss.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss([("标题", site.url("/x/2024/03/05/1.html"))]),
    )
    source = feed_source(site)
    due_at = source.next_fetch_at

    run_round([source], stop_at=time.monotonic())

    source.refresh_from_db()
    assert source.next_fetch_at == due_at and Clipping.objects.count() == 0


def test_a_watch_word_flags_the_clipping_and_its_story(site):
    word = WatchWord.objects.create(word="瑞贝卡")
    serve_article(
        site,
        "/w/2024/03/05/1.html",
        "发制品企业新品上市",
        [*article_text(40), "瑞贝卡公司表示将继续扩大产能。"],
    )
    run_round(
        [Source.objects.create(name="许昌日报", url=site.url("/w/2024/03/05/1.html"), kind="link")]
    )

    clipping = Clipping.objects.get()
    assert list(clipping.watch_words.all()) == [word]
    assert clipping.story.watched


def test_clip_link_stores_one_page_and_refuses_an_internal_address_in_chinese(site, settings):
    serve_article(site, "/l/2024/03/05/1.html", "编辑手动添加的文章", article_text(50))

    clipping = clip_link(site.url("/l/2024/03/05/1.html") + "?utm_source=wechat")

    assert clipping.title == "编辑手动添加的文章" and "utm_source" not in clipping.url
    settings.INTAKE_ALLOWED_NETWORKS = ""
    with pytest.raises(IntakeError) as refused:
        clip_link(site.url("/l/2024/03/05/1.html"))
    assert "地址" in str(refused.value)
    with pytest.raises(IntakeError):
        clip_link("javascript:alert(1)")


def test_old_ignored_clippings_go_and_adopted_ones_stay(site):
    serve_article(site, "/r/2024/03/05/1.html", "被忽略的旧素材", article_text(60))
    serve_article(site, "/r/2024/03/05/2.html", "另一条旧素材", article_text(61))
    old_one = clip_link(site.url("/r/2024/03/05/1.html"))
    kept = clip_link(site.url("/r/2024/03/05/2.html"))
    long_ago = timezone.now() - timedelta(days=91)
    Clipping.objects.update(state=Clipping.State.IGNORED, fetched_at=long_ago)
    recent = Clipping.objects.filter(pk=kept.pk)
    recent.update(fetched_at=timezone.now() - timedelta(days=89))

    assert jobs.remove_old_ignored() == 1

    assert not Clipping.objects.filter(pk=old_one.pk).exists()
    assert Clipping.objects.filter(pk=kept.pk).exists()
    assert not Story.objects.filter(pk=old_one.story_id).exists()


def test_fetch_sources_prints_what_each_source_gave(site, capsys):
    serve_article(site, "/p/2024/03/05/1.html", "命令行抓取的文章", article_text(70))
    good = Source.objects.create(name="好来源", url=site.url("/p/2024/03/05/1.html"), kind="link")
    bad = Source.objects.create(name="坏来源", url=site.url("/nothing"), kind="feed")

    call_command("fetch_sources", "--all")

    out = capsys.readouterr().out
    assert f"[{good.pk}] 好来源：" in out and "新增 1 条" in out
    assert f"[{bad.pk}] 坏来源：出错" in out and "404" in out


def test_fetch_sources_only_takes_due_sources_unless_told(site, capsys):
    serve_article(site, "/q/2024/03/05/1.html", "还没到时间的来源", article_text(71))
    Source.objects.create(
        name="稍后", url=site.url("/q/2024/03/05/1.html"), kind="link",
        next_fetch_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip

    call_command("fetch_sources")

    assert "没有需要抓取的信息源" in capsys.readouterr().out
    assert Clipping.objects.count() == 0


def test_an_original_seen_after_two_differently_trimmed_reprints_joins_them_in_one_story(site):
    original = article_text(80, sentences=12)
    reprints = {
        "/r1/2024/03/05/1.html": ("前半部分转载", ["来源：大河网", *original[:8]]),
        "/r2/2024/03/05/1.html": ("后半部分转载", [*original[4:], "责任编辑：赵六"]),
        "/o/2024/03/04/1.html": ("完整的原发报道", original),
    }
    for path, (title, paragraphs) in reprints.items():
        first = path.startswith("/o/")  # published a day before the reprints
        serve_article(
            site, path, title, paragraphs, date="2024-03-04 08:00" if first else "2024-03-05 09:00"
        )
        run_round([Source.objects.create(name=title, url=site.url(path), kind="link")])
        if path.startswith("/r2/"):
            assert Story.objects.count() == 2  # the two reprints alone are not alike enough

    assert Story.objects.count() == 1
    story = Story.objects.get()
    assert story.size == 3 and story.lead.title == "完整的原发报道"
