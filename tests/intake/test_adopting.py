"""加入本期: a clipping becomes one draft article, with its images and its provenance, once."""

import io
import threading
from itertools import count

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from lxml import html
from PIL import Image

from apps.articles.models import Article, Industry, Section
from apps.intake import adopting
from apps.intake.models import Clipping, Story
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory
from tests.intake.sites import Site

pytestmark = pytest.mark.django_db
numbers = count(1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(settings):
    settings.INTAKE_ALLOWED_NETWORKS = "127.0.0.1/32"
    settings.INTAKE_CONNECT_TIMEOUT = 2
    settings.INTAKE_TOTAL_TIMEOUT = 3
    server = Site()
    yield server
    server.close()


@pytest.fixture
def issue():
    return IssueFactory(year=2025, number=11)


@pytest.fixture
def section():
    return Section.objects.get(slug="industry-trends")


def clip(title="许昌超硬材料产业加快集聚", *, story=None, **fields):
    n = next(numbers)
    fields.setdefault("html", "<p>长葛市金刚石线锯产能居全国前列。</p>")
    fields.setdefault("source_name", "经济日报")
    fields.setdefault("published_at", timezone.now())
    return Clipping.objects.create(
        url=f"https://www.ce.cn/news/{n}.html", title=title, story=story, **fields
    )


def reprints(n=2):
    story = Story.objects.create()
    clippings = [clip(f"超硬材料（{i}）", story=story) for i in range(n)]
    Story.objects.filter(pk=story.pk).update(lead=clippings[0], size=n)
    return clippings


def png(colour="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# --- the action ------------------------------------------------------------------------------


def test_a_clipping_becomes_a_draft_article_with_its_provenance(editor, issue, section):
    industry = Industry.objects.get(slug="new-energy-vehicles")
    ArticleFactory(issue=issue, section=section, position=3)
    clipping = clip(author="记者 王明", summary="金刚石线锯产能居全国前列。")
    clipping.industries.set([industry])

    article = adopting.adopt(clipping, issue=issue, section=section, user=editor)

    article.refresh_from_db()
    assert (article.title, article.source, article.author) == (
        "许昌超硬材料产业加快集聚",
        "经济日报",
        "记者 王明",
    )
    assert article.summary == "金刚石线锯产能居全国前列。"
    assert (article.issue, article.section, article.position) == (issue, section, 4)
    assert article.status == Article.Status.DRAFT
    assert (article.created_by, article.updated_by) == (editor, editor)
    assert list(article.industries.all()) == [industry]
    assert "<p>长葛市金刚石线锯产能居全国前列。</p>" in article.body
    assert f'<p>原文链接：<a href="{clipping.url}">{clipping.url}</a></p>' in article.body
    version = article.history.order_by("history_id").first()
    assert (version.history_user, version.history_change_reason) == (editor, "采用素材：经济日报")
    clipping.refresh_from_db()
    assert (clipping.state, clipping.article) == (Clipping.State.USED, article)


def test_the_articles_page_shows_where_it_came_from(client, editor, issue, section):
    clipping = clip()
    article = adopting.adopt(clipping, issue=issue, section=section, user=editor)
    client.force_login(editor)
    page = html.fromstring(
        client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    )
    provenance = page.xpath('//section[@aria-label="素材来源"]')[0]
    assert "经济日报《许昌超硬材料产业加快集聚》" in provenance.text_content()
    links = provenance.xpath(".//a/@href")
    assert reverse("admin:intake_clipping_change", args=[clipping.pk]) in links
    assert clipping.url in links


def test_images_are_fetched_and_stored_as_uploads_and_the_broken_ones_left_out(
    editor, issue, section, site, media
):
    site.routes["/a.png"] = (200, {"Content-Type": "image/png"}, png())
    site.routes["/fake.jpg"] = (200, {"Content-Type": "image/jpeg"}, b"<html>not an image</html>")
    clipping = clip(
        html=(
            '<p>第一段</p><figure><img alt="图一"><figcaption>图一说明</figcaption></figure>'
            '<p>第二段<img alt="坏图"></p><figure><img alt="缺图"><figcaption>缺图说明</figcaption>'
            "</figure><p>第三段</p>"
        ),
        image_urls=[site.url("/a.png"), site.url("/fake.jpg"), site.url("/missing.png")],
    )
    article = adopting.adopt(clipping, issue=issue, section=section, user=editor)
    assert article.dropped_images == 2
    body = html.fromstring(Article.objects.get(pk=article.pk).body)
    sources = body.xpath("//img/@src")
    assert len(sources) == 1 and sources[0].startswith("/media/editor/")
    stored = media / sources[0].removeprefix("/media/")
    with Image.open(stored) as image:
        assert image.size == (8, 6)  # re-encoded, as an editor's upload
    text = body.text_content()
    assert "图一说明" in text and "缺图说明" not in text  # a figure without its image goes
    assert "第二段" in text and "第三段" in text


def test_an_image_that_cannot_be_fetched_never_stops_the_adoption(editor, issue, section):
    clipping = clip(html='<p>正文</p><img alt="图">', image_urls=["http://10.0.0.1/a.png"])
    article = adopting.adopt(clipping, issue=issue, section=section, user=editor)
    assert article.dropped_images == 1
    assert "<img" not in Article.objects.get(pk=article.pk).body


def test_the_same_clipping_added_twice_makes_one_article(editor, issue, section):
    clipping = clip()
    adopting.adopt(clipping, issue=issue, section=section, user=editor)
    with pytest.raises(adopting.AdoptRefused, match="不能重复加入"):
        adopting.adopt(
            Clipping.objects.get(pk=clipping.pk), issue=issue, section=section, user=editor
        )
    with pytest.raises(adopting.AdoptRefused, match="不能重复加入"):
        adopting.adopt(clipping, issue=issue, section=section, user=editor, again=True)
    assert Article.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_adds_at_the_same_moment_make_one_article(editor, issue, section, monkeypatch):
    clipping = clip()
    both_checked = threading.Barrier(2, timeout=10)
    prepare = adopting._body_with_images

    def after_the_first_check(clipping):
        both_checked.wait()  # both passed the unlocked check: only the lock can decide now
        return prepare(clipping)

    monkeypatch.setattr(adopting, "_body_with_images", after_the_first_check)
    outcomes = []

    def add():
        try:
            stale = Clipping.objects.get(pk=clipping.pk)
            outcomes.append(adopting.adopt(stale, issue=issue, section=section, user=editor))
        except adopting.AdoptRefused as refusal:
            outcomes.append(refusal)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert Article.objects.count() == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["AdoptRefused", "Article"]
    assert Clipping.objects.get(pk=clipping.pk).article == Article.objects.get()


def test_another_clipping_of_a_used_story_asks_first(editor, issue, section):
    first, second = reprints()
    made = adopting.adopt(first, issue=issue, section=section, user=editor)
    with pytest.raises(adopting.StoryAlreadyUsed) as asked:
        adopting.adopt(second, issue=issue, section=section, user=editor)
    assert asked.value.articles == [made]
    assert "超硬材料（0）" in str(asked.value)
    again = adopting.adopt(second, issue=issue, section=section, user=editor, again=True)
    assert again.position == made.position + 1
    assert Article.objects.count() == 2


def test_refusals_change_nothing(editor, subadmin, issue, section):
    published = IssueFactory(year=2025, number=12, status=Issue.Status.PUBLISHED)
    ignored = clip(state=Clipping.State.IGNORED)
    clipping = clip()
    cases = [
        ({"clipping": clipping, "issue": published, "user": editor}, "已不是草稿"),
        ({"clipping": ignored, "issue": issue, "user": editor}, "已被忽略"),
        ({"clipping": clipping, "issue": issue, "user": subadmin}, "没有把素材加入期刊的权限"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(adopting.AdoptRefused, match=reason):
            adopting.adopt(section=section, **kwargs)
    assert not Article.objects.exists()
    assert set(Clipping.objects.values_list("state", flat=True)) == {"new", "ignored"}


# --- the pages -------------------------------------------------------------------------------


def adopt_url(clipping):
    return reverse("admin:intake_clipping_adopt", args=[clipping.pk])


def test_the_page_offers_draft_issues_and_confirming_once_makes_the_article(
    client, editor, issue, section
):
    IssueFactory(year=2025, number=12, status=Issue.Status.PUBLISHED)
    IssueFactory(year=2025, number=13, status=Issue.Status.REVIEW)
    clipping = clip()
    client.force_login(editor)
    change = client.get(reverse("admin:intake_clipping_change", args=[clipping.pk]))
    assert adopt_url(clipping) in change.content.decode()  # the 加入本期 button

    page = html.fromstring(client.get(adopt_url(clipping)).content.decode())
    assert page.xpath('//select[@name="issue"]/option/text()') == [str(issue)]
    assert not Article.objects.exists()  # a GET changes nothing

    response = client.post(adopt_url(clipping), {"issue": issue.pk, "section": section.pk})
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:articles_article_change", args=[article.pk])
    shown = client.get(response["Location"]).content.decode()
    assert f"生成草稿文章《{article.title}》" in shown
    change = client.get(reverse("admin:intake_clipping_change", args=[clipping.pk]))
    assert "已采用为文章" in change.content.decode()


def test_the_page_asks_again_for_a_story_already_used(client, editor, issue, section):
    first, second = reprints()
    made = adopting.adopt(first, issue=issue, section=section, user=editor)
    client.force_login(editor)
    data = {"issue": issue.pk, "section": section.pk}

    response = client.post(adopt_url(second), data)
    assert response.status_code == 200
    page = html.fromstring(response.content.decode())
    assert f"《{made.title}》" in page.xpath('//p[@class="errornote"]')[0].text_content()
    assert page.xpath('//input[@name="again"]/@value') == ["1"]
    assert Article.objects.count() == 1

    response = client.post(adopt_url(second), {**data, "again": "1"})
    assert response.status_code == 302
    assert Article.objects.count() == 2


@pytest.mark.parametrize(
    ("forged", "message"),
    [
        ("published issue", "所选期次不存在或已不是草稿"),
        ("missing issue", "所选期次不存在或已不是草稿"),
        ("missing section", "所选栏目不存在"),
        ("not a number", "所选栏目不存在"),
        ("ignored clipping", "这条素材已被忽略"),
        ("used clipping", "不能重复加入"),
    ],
)
def test_a_forged_post_gets_a_chinese_message_and_changes_nothing(
    client, editor, issue, section, forged, message
):
    published = IssueFactory(year=2025, number=12, status=Issue.Status.PUBLISHED)
    clipping = clip(state=Clipping.State.IGNORED if forged == "ignored clipping" else "new")
    if forged == "used clipping":
        adopting.adopt(clipping, issue=issue, section=section, user=editor)
    data = {
        "issue": {"published issue": published.pk, "missing issue": 999999}.get(forged, issue.pk),
        "section": {"missing section": 999999, "not a number": "1 OR 1=1"}.get(forged, section.pk),
    }
    before = (Article.objects.count(), Clipping.objects.get(pk=clipping.pk).state)
    client.force_login(editor)
    response = client.post(adopt_url(clipping), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Article.objects.count(), Clipping.objects.get(pk=clipping.pk).state) == before


def test_a_missing_clipping_or_a_user_without_the_right_changes_nothing(
    client, editor, subadmin, issue, section
):
    data = {"issue": issue.pk, "section": section.pk}
    client.force_login(editor)
    response = client.post(reverse("admin:intake_clipping_adopt", args=[987654]), data, follow=True)
    assert "不存在" in response.content.decode()
    clipping = clip()
    client.force_login(subadmin)
    assert client.post(adopt_url(clipping), data).status_code == 403
    assert not Article.objects.exists()
    assert Clipping.objects.get(pk=clipping.pk).state == Clipping.State.NEW
