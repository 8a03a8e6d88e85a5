"""Reprints: the same story carried by another outlet is found, a different story on the same
subject is not, on the test set (tests/intake/reprints) and in the database."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.intake import dedupe
from apps.intake.models import Clipping, FingerprintBand, Story
from tests.intake import reprints

ROOT = Path(__file__).resolve().parents[2]
TEXTS = {text.id: text for text in reprints.load()}
# The fingerprint of o01 with the tuned parameters. A new datasketch that hashed differently
# would leave every stored fingerprint unable to match a new one: this fails first.
O01_SHA256 = "c0ffa1d384c10a07"


def test_the_set_is_what_the_tuning_claims():
    kinds = [text.kind for text in TEXTS.values()]
    assert kinds.count("original") >= 40
    assert kinds.count("reprint") >= 40
    assert kinds.count("distinct") >= 30
    for text in TEXTS.values():
        assert text.of == "" or TEXTS[text.of].kind == "original"
        if text.kind != "reprint":
            assert 300 <= len(text.text) <= 1500, text.id


@pytest.mark.parametrize("order", range(4), ids=["manifest", "reversed", "shuffle0", "shuffle1"])
def test_reprints_are_grouped_and_distinct_stories_never_merged(order):
    figures = reprints.evaluate(reprints.orders(4)[order])
    assert figures.found_share >= 0.95, figures.missed
    assert figures.stories_merged == 0, figures.merged


def test_template_notices_of_one_ministry_are_not_one_story():
    # The hardest pair: two notices written on one template, only the programme changed.
    notice, other = (dedupe.fingerprint(TEXTS[key].text) for key in ("o02", "d02"))
    assert dedupe.similarity(notice, other) > 0.4  # they do share most of their words
    assert not dedupe.same_story(notice, other)
    reprint = dedupe.fingerprint(TEXTS["o02-r1"].text)
    assert dedupe.same_story(notice, reprint)


def test_what_reprinting_adds_is_stripped():
    plain = (
        "许昌市2025年第一批共有526家企业通过评价入库。\n"
        "入库企业可按规定享受研发费用加计扣除等优惠政策。"
    )
    reprinted = (
        "【许昌发布】\n原标题：我市科技型中小企业入库名单公布\n来源：许昌日报 | 责任编辑：王帆\n"
        "本报讯（记者 周阳 通讯员 许科）许昌市２０２５年第一批共有５２６家企业通过评价入库.\n"
        "入库企业可按规定享受  研发费用加计扣除等优惠政策\n"
        "编者按：现予转发。\n声明：本文仅供学习交流。\n扫码关注“许昌发布”\n点击阅读原文"
    )
    assert dedupe.normalize(reprinted) == dedupe.normalize(plain)
    assert dedupe.normalize(plain) == (
        "许昌市2025年第一批共有526家企业通过评价入库入库企业可按规定享受研发费用加计扣除等优惠政策"
    )


def test_a_text_too_short_to_judge_has_no_fingerprint_and_never_matches():
    stub = "来源：新华社\n许昌发制品出口增长。"
    assert dedupe.fingerprint(stub) == b""
    assert dedupe.band_keys(b"") == []
    assert dedupe.similarity(b"", b"") == 0.0
    assert not dedupe.same_story(b"", b"")


def test_fingerprints_are_the_same_in_every_process():
    fp = dedupe.fingerprint(TEXTS["o01"].text)
    assert hashlib.sha256(fp).hexdigest()[:16] == O01_SHA256
    # Another process with another string hash seed: hash() would differ, sha1 does not.
    code = (
        "import django, hashlib; django.setup(); from apps.intake import dedupe; "
        "import sys; print(hashlib.sha256(dedupe.fingerprint(sys.stdin.read())).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "config.settings"}
    other = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-c", code],
        input=TEXTS["o01"].text,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert other.stdout.strip() == hashlib.sha256(fp).hexdigest()


def test_band_keys_fit_a_bigint_and_tell_the_bands_apart():
    keys = dedupe.band_keys(dedupe.fingerprint(TEXTS["o05"].text))
    assert len(keys) == dedupe.BANDS
    assert all(-(2**63) <= key < 2**63 for key in keys)
    # The same values in every band still make a key per band.
    flat = dedupe.HEADER + (1000).to_bytes(4, "little") + bytes(4 * dedupe.NUM_PERM)
    assert len(set(dedupe.band_keys(flat))) == dedupe.BANDS


def test_a_fingerprint_made_with_other_parameters_is_never_compared():
    fp = dedupe.fingerprint(TEXTS["o05"].text)
    other_scheme = bytes([dedupe.FORMAT + 1]) + fp[1:]
    assert dedupe.similarity(fp, fp) == 1.0
    assert dedupe.similarity(fp, other_scheme) == 0.0
    assert dedupe.band_keys(other_scheme) == []


# --- In the database ----------------------------------------------------------------------


def _clippings(ids, *, story=True):
    """Save the test set's texts as clippings, each in its own story, with their bands."""
    rows = []
    for key in ids:
        text = TEXTS[key].text
        rows.append(
            Clipping(
                url=f"https://news.example/{key}",
                title=TEXTS[key].title,
                text=text,
                fingerprint=dedupe.fingerprint(text),
                story=Story.objects.create() if story else None,
            )
        )
    # bulk_create: this tests the lookup alone, not what a clipping's save sets off.
    saved = Clipping.objects.bulk_create(rows)
    for clipping in saved:
        dedupe.write_bands(clipping)
    return {key: Clipping.objects.get(url=f"https://news.example/{key}") for key in ids}


@pytest.mark.django_db
def test_a_reprint_finds_its_original_and_a_same_topic_article_does_not():
    pool = _clippings(["o26", "o17", "o28"])
    reprint = dedupe.fingerprint(TEXTS["o26-r2"].text)
    found = dedupe.nearest(reprint)
    assert found == pool["o26"]
    assert found.story_id == pool["o26"].story_id
    # Another contract of the same company, the same template sentences.
    assert dedupe.nearest(dedupe.fingerprint(TEXTS["d26"].text)) is None
    assert dedupe.nearest(b"") is None


@pytest.mark.django_db
def test_a_clipping_does_not_find_itself_nor_clippings_without_a_story():
    pool = _clippings(["o11"])
    _clippings(["o11-r1"], story=False)
    fp = bytes(pool["o11"].fingerprint)
    assert dedupe.nearest(fp, exclude_pk=pool["o11"].pk) is None
    assert dedupe.nearest(fp) == pool["o11"]


@pytest.mark.django_db
def test_the_lookup_costs_two_queries_whatever_the_pool(django_assert_num_queries):
    small = [text.id for text in TEXTS.values() if text.kind == "original"][:3]
    _clippings(small)
    with django_assert_num_queries(2):
        assert dedupe.nearest(dedupe.fingerprint(TEXTS["o01-r1"].text)) is not None
    large = [text.id for text in TEXTS.values() if text.kind != "reprint"]
    _clippings([key for key in large if key not in small])
    reprint, story = dedupe.fingerprint(TEXTS["o30-r1"].text), pool_story("o30")
    with django_assert_num_queries(2):
        found = dedupe.nearest(reprint)
        # What the caller reads next is loaded with it (stories.place reads the state).
        assert (found.story_id, found.state) == (story, Clipping.State.NEW)


def pool_story(key):
    return Clipping.objects.get(url=f"https://news.example/{key}").story_id


@pytest.mark.django_db
def test_write_bands_replaces_the_clippings_bands():
    clipping = _clippings(["o23"])["o23"]
    assert set(FingerprintBand.objects.values_list("key", flat=True)) == set(
        dedupe.band_keys(clipping.fingerprint)
    )
    # The page changed at the same address: its bands follow the new text.
    clipping.fingerprint = dedupe.fingerprint(TEXTS["d23"].text)
    dedupe.write_bands(clipping)
    keys = set(FingerprintBand.objects.filter(clipping=clipping).values_list("key", flat=True))
    assert keys == set(dedupe.band_keys(clipping.fingerprint))
    assert FingerprintBand.objects.count() == dedupe.BANDS
    clipping.fingerprint = b""
    dedupe.write_bands(clipping)
    assert not FingerprintBand.objects.exists()
