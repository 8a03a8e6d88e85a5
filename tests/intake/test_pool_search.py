"""The pool's full-text search: the same matching as the reader search, following the database."""

import io
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.intake import pool_search
from apps.intake.models import Clipping, ClippingDocument, Story
from apps.search.query import parse

pytestmark = pytest.mark.django_db
numbers = count(1)


def clip(title, text="", *, story=None, **fields):
    """A clipping; in a story of its own unless `story` is given (ingest places every one)."""
    if story is None:
        story = Story.objects.create()
        clipping = clip(title, text, story=story, **fields)
        Story.objects.filter(pk=story.pk).update(lead=clipping, size=1)
        return clipping
    n = next(numbers)
    return Clipping.objects.create(
        url=f"https://news.example.cn/{n}.html",
        title=title,
        text=text,
        html=f"<p>{text}</p>",
        source_name=fields.pop("source_name", "科技日报"),
        story=story,
        **fields,
    )


def reprinted(lead_title, lead_text, *reprints):
    """A story whose lead is the first clipping; `reprints` are (title, text) pairs."""
    story = Story.objects.create()
    now = timezone.now()
    lead = clip(lead_title, lead_text, story=story, published_at=now)
    others = [
        clip(title, text, story=story, published_at=now + timezone.timedelta(hours=i + 1))
        for i, (title, text) in enumerate(reprints)
    ]
    Story.objects.filter(pk=story.pk).update(lead=lead, size=1 + len(others))
    return lead, others


def found(text):
    return {pk for pk, _ in pool_search.matching(Clipping.objects.all(), parse(text))}


def newest(text, limit):
    return [pk for pk, _ in pool_search.matching(Clipping.objects.all(), parse(text), limit=limit)]


def test_chinese_words_and_any_two_characters_are_found():
    battery = clip("许昌钠离子电池项目投产", "年产两万吨正极材料，带动上下游企业集聚。")
    hair = clip("发制品出口增长", "假发企业开拓非洲市场。")
    assert found("钠离子电池") == {battery.pk}
    assert found("正极") == {battery.pk}  # two characters inside a word
    assert found("离子电") == {battery.pk}  # any substring, as the reader search
    assert found("假发") == {hair.pk}
    assert found("科技日报") == {battery.pk, hair.pk}  # the source's name is in the document
    assert found("电池 -正极") == set()  # an exclusion looks in the whole document
    assert found("“材料带动”") == set()  # a quoted phrase must occur as typed


def test_only_story_leads_are_matched():
    lead, _ = reprinted(
        "新能源汽车产量增长",
        "一季度产量增长三成。",
        ("转载：新能源汽车", "产量增长三成，另见储能。"),
    )
    alone, _ = reprinted("储能电站并网", "新能源配储")
    assert found("储能") == {alone.pk}  # the reprint's own word does not bring it up
    assert found("新能源") == {lead.pk, alone.pk}


def test_a_saved_change_rewrites_the_document_and_a_deletion_removes_it():
    clipping = clip("氢能产业园开工", "签约项目十二个。")
    clipping.title = "氢燃料电池产业园开工"
    clipping.save()
    assert found("燃料电池") == {clipping.pk}
    assert found("氢能") == set()

    clipping.text = "入驻企业八家。"
    clipping.save(update_fields=["text"])
    assert found("入驻企业") == {clipping.pk} and found("签约") == set()

    pk = clipping.pk
    clipping.delete()
    assert not ClippingDocument.objects.filter(clipping_id=pk).exists()


def test_a_save_of_other_fields_leaves_the_document_alone():
    clipping = clip("超硬材料", "金刚石线锯。")
    clipping.state = Clipping.State.STARRED
    with CaptureQueriesContext(connection) as queries:
        clipping.save(update_fields=["state"])
    assert not [q for q in queries.captured_queries if "intake_fts" in q["sql"]]
    assert found("金刚石") == {clipping.pk}


def test_a_rolled_back_save_leaves_no_document():
    with pytest.raises(RuntimeError), transaction.atomic():
        clip("回滚的素材", "不应留下检索文档。")
        raise RuntimeError
    assert not ClippingDocument.objects.exists()
    assert found("回滚") == set()


def test_rebuild_makes_every_document_again_after_an_update_the_receivers_miss():
    clipping = clip("电力装备", "特高压变压器。")
    Clipping.objects.filter(pk=clipping.pk).update(title="智能电网装备")
    assert found("智能电网") == set()  # QuerySet.update() sends no signal
    out = io.StringIO()
    call_command("rebuild_pool_index", stdout=out)
    assert "1 条素材" in out.getvalue()
    assert found("智能电网") == {clipping.pk}


def test_the_newest_matches_are_kept_when_there_are_too_many():
    clippings = [clip(f"生物医药第{i}条", "创新药。") for i in range(5)]
    assert newest("生物医药", 3) == [c.pk for c in reversed(clippings)][:3]


def test_a_search_looks_past_the_newest_documents_until_it_has_enough(monkeypatch):
    # The first window holds the two newest documents: one match, fewer than the limit, so the
    # search goes on through every document and finds the old ones too, newest first.
    monkeypatch.setattr(pool_search, "FIRST_WINDOW", 2)
    old = [clip(f"超硬材料第{i}条", "金刚石。") for i in range(3)]
    clip("发制品出口", "假发。")
    recent = clip("超硬材料新品", "立方氮化硼。")
    assert newest("超硬材料", 3) == [recent.pk, old[2].pk, old[1].pk]
    # None among the newest: the rest is looked in at once.
    assert newest("金刚石", 2) == [old[2].pk, old[1].pk]
    # With enough matches among the newest, the older documents are not needed.
    assert newest("超硬材料", 1) == [recent.pk]
