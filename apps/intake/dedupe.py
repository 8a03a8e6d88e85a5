"""Reprints (转载): the same story's text found at another address.

A clipping's main text is normalized (what reprinting changes is stripped: outlet lines,
punctuation, full-width forms, spacing), cut into character shingles, and summarised by a
MinHash signature with the number of shingles, stored in `Clipping.fingerprint`. The signature
is datasketch 2's MinHash (scheme "affine32", SHA-1 of each shingle), computed here with numpy
alone: the datasketch package imports SciPy (about 40 MiB) for its LSH classes, which are not
used; tests/intake/test_dedupe_minhash.py checks the two agree.
Two signatures agree at a position with probability equal to the Jaccard similarity of the two
shingle sets; with the sets' sizes that also estimates the containment, the share of the
shorter text found in the longer.

Two texts are one story when the shorter is nearly all inside the longer (CONTAINMENT) and they
are not too different in size (THRESHOLD, on Jaccard). Jaccard alone cannot tell: an outlet
that trims two paragraphs of four keeps a Jaccard of 0.45, while two notices of one ministry
written on one template share 0.53 (tests/intake/reprints). The share of the shorter text found
in the other tells them apart: reprints 0.89 and more, the two notices 0.72. The Jaccard floor
keeps a digest that quotes several stories whole from chaining them into one.

The signature is cut into bands of rows (locality-sensitive hashing); each band hashes to a key
kept in `FingerprintBand`. Texts sharing any key are the candidates, then verified. The bands
live in the database rather than in datasketch's in-memory MinHashLSH, so the worker holds
nothing between clippings and the pool's size costs no memory.

The parameters are tuned on tests/intake/reprints (reprints as outlets make them, and distinct
articles on the same subject); `benchmarks/intake_quality.py` prints the figures. Changing any
of them changes HEADER: old fingerprints then never match new ones.
"""

import hashlib
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import TypeVar

import numpy as np
from django.db import transaction
from django.db.models import Count

from apps.intake.models import Clipping, FingerprintBand

# Characters per shingle. Longer shingles lower what two articles on one template share
# (the test set's two notices: 0.76 of the shorter at 4 characters, 0.72 at 6) while a reprint
# keeps almost all of its own (0.88 and more at either length).
SHINGLE = 6
# MinHash values: the estimates' noise (about ±0.02 at 512) must stay well inside the margin.
NUM_PERM = 512
SEED = 20
# The least share of the shorter text's shingles found in the longer, for one story: between
# the test set's reprints (0.89 and more) and its distinct articles (0.72 and less).
CONTAINMENT = 0.80
# The least Jaccard similarity of one story's texts (the test set's reprints: 0.45 and more),
# and what the bands are made to find.
THRESHOLD = 0.35
# 40 bands of 2 values: a pair at THRESHOLD shares a band with probability
# 1 - (1 - 0.35^2)^40 = 0.995, at 0.5 with 0.99999; two unrelated texts (Jaccard 0.002)
# share one with probability 0.00016. 40 rows per clipping in FingerprintBand.
BANDS = 40
ROWS = 2
# Texts shorter than this after normalizing (a headline, a stub) are not judged.
MIN_CHARS = 60
# Candidates verified per lookup: the ones sharing the most bands first.
MAX_CANDIDATES = 100
# The scheme of a fingerprint, at its head: a fingerprint made with other parameters is never
# compared with this one, and its band keys never collide with these. Then the number of
# shingles (uint32) and NUM_PERM hash values (uint32).
FORMAT = 1
HEADER = struct.pack("<BBBH", FORMAT, SHINGLE, SEED, NUM_PERM)
SCHEME = "affine32"  # datasketch 2's default, named so that an upgrade cannot change it

T = TypeVar("T")

# Lines an outlet adds around a reprint: where it came from, who edited it, its disclaimers,
# its calls to follow, and the editor's note (编者按) put before it.
BOILERPLATE = re.compile(
    r"^[(（【\[]?\s*(?:"
    r"(?:本文|文章|信息|新闻|稿件|图片)?来源|稿源|图源|出处|责任编辑|责编|编辑|主编|作者|记者|"
    r"通讯员|审核|审校|校对|监制|统筹|原标题|原文标题|发布时间|发布日期|时间|转自|本文转自|"
    r"声明|免责声明|版权声明|风险提示|附件|投稿(?:与新闻线索)?|编者按|编者的话|"
    r"打印|关闭|分享"
    r")\s*[:：】\]]"
    r"|^(?:本文|文章|此文)?(?:转自|转载自|转载请|来源于)"
    r"|^(?:点击|扫码|扫描二维码|长按|欢迎关注|关注我们|更多精彩|下载.{0,8}(?:客户端|APP|app)|"
    r"分享到|阅读原文)",
)
# An outlet's tag in lenticular brackets (【经济日报】, 【打印本页】) anywhere in a line.
OUTLET_TAG = re.compile(r"【[^】\n]{0,20}】")
# The reporter's byline in brackets: （记者 张三 通讯员 李四）.
BYLINE = re.compile(r"[（(]\s*(?:本报)?(?:记者|通讯员|作者|实习生)[^）)\n]{0,40}[）)]")
# The dateline an outlet puts before a paragraph, with its byline: 本报讯（记者 张三）,
# 新华社北京3月5日电（记者 王某）; or an outlet's alone: 本报讯, 大河网讯, 中证网讯.
DATELINE = re.compile(
    r"^\s*(?:[^，。,（(\s]{0,20}?[讯电]\s*)?[（(]\s*(?:本报)?(?:记者|通讯员)[^）)\n]{0,40}[）)]"
    r"|^\s*[^，。,（(\s]{0,12}(?:网|报|社|台|端)讯",
    re.MULTILINE,
)
# What is kept for shingling: letters, digits and CJK characters.
NOT_KEPT = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def is_boilerplate(line: str) -> bool:
    """Whether a line (or sentence) is an outlet's addition rather than the story."""
    line = unicodedata.normalize("NFKC", line).strip()
    return bool(BOILERPLATE.match(line)) or not OUTLET_TAG.sub("", line).strip()


def normalize(text: str) -> str:
    """Return the text a reprint keeps: boilerplate lines, outlet tags, datelines, bylines,
    spacing and punctuation removed, full-width forms folded (NFKC), letters lowercased."""
    kept = [line for line in (text or "").splitlines() if line.strip() and not is_boilerplate(line)]
    joined = BYLINE.sub("", DATELINE.sub("", OUTLET_TAG.sub("", "\n".join(kept))))
    return NOT_KEPT.sub("", unicodedata.normalize("NFKC", joined).lower())


def fingerprint(text: str) -> bytes:
    """Return the text's signature (HEADER, the number of shingles, NUM_PERM MinHash values),
    or b"" for a text too short to judge."""
    normal = normalize(text)
    if len(normal) < MIN_CHARS:
        return b""
    shingles = {normal[i : i + SHINGLE] for i in range(len(normal) - SHINGLE + 1)}
    values = minhash(shingle.encode() for shingle in shingles)
    return HEADER + struct.pack("<I", len(shingles)) + values.astype("<u4").tobytes()


# The MurmurHash3 finalizer's constants (32 bits), as datasketch mixes each shingle's hash.
FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def minhash(values: Iterable[bytes]) -> np.ndarray:
    """Return the NUM_PERM MinHash values (uint32) of a non-empty set of byte strings: what
    datasketch's MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).update_batch(values)
    holds. Each value's hash is the first 4 bytes of its SHA-1 (little-endian; the same in
    every process, unlike hash()), mixed by the MurmurHash3 finalizer, then put through each
    permutation a*h + b (mod 2^32, by uint32 wraparound); the least of each is kept."""
    # SHA-1 as datasketch's sha1_hash32 uses it: a fingerprint, not a security measure.
    digests = (hashlib.sha1(value).digest()[:4] for value in values)  # noqa: S324
    hashes = np.fromiter((int.from_bytes(d, "little") for d in digests), dtype=np.uint32)
    shift1, multiply1, shift2, multiply2, shift3 = FMIX
    hashes ^= hashes >> shift1
    hashes *= multiply1
    hashes ^= hashes >> shift2
    hashes *= multiply2
    hashes ^= hashes >> shift3
    a, b = _permutations(NUM_PERM, SEED)
    return (hashes[:, None] * a + b).min(axis=0)


def similarity(a: bytes, b: bytes) -> float:
    """Return the estimated Jaccard similarity of two texts' shingles (0 when either
    fingerprint is empty or was made with other parameters)."""
    a, b = _read(a), _read(b)
    if a is None or b is None:
        return 0.0
    return float(np.count_nonzero(a[1] == b[1])) / NUM_PERM


def containment(a: bytes, b: bytes) -> float:
    """Return the estimated share of the shorter text's shingles found in the other."""
    read_a, read_b = _read(a), _read(b)
    if read_a is None or read_b is None:
        return 0.0
    jaccard = float(np.count_nonzero(read_a[1] == read_b[1])) / NUM_PERM
    # |A ∩ B| = J (|A| + |B|) / (1 + J), from J = |A ∩ B| / (|A| + |B| - |A ∩ B|).
    common = jaccard * (read_a[0] + read_b[0]) / (1 + jaccard)
    return min(1.0, common / min(read_a[0], read_b[0]))


def same_story(a: bytes, b: bytes) -> bool:
    """Whether two fingerprints are of one story: one text nearly all inside the other, and
    the two alike enough in size."""
    return similarity(a, b) >= THRESHOLD and containment(a, b) >= CONTAINMENT


def band_keys(fp: bytes) -> list[int]:
    """Return one key per band of the fingerprint: a signed 64-bit hash of the band's values
    and its number (equal values in different bands are different keys)."""
    read = _read(fp)
    if read is None:
        return []
    raw = read[1].tobytes()
    width = ROWS * 4
    keys = []
    for band in range(BANDS):
        data = HEADER + struct.pack("<H", band) + raw[band * width : (band + 1) * width]
        digest = hashlib.blake2b(data, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def nearest(fp: bytes, *, exclude_pk: int | None = None) -> Clipping | None:
    """Return the clipping with a story that is the same story as `fp` and the most similar,
    or None. Two queries whatever the pool's size; the clipping is loaded with its id, story,
    state and fingerprint only."""
    found = matches(fp, exclude_pk=exclude_pk)
    return found[0] if found else None


def matches(fp: bytes, *, exclude_pk: int | None = None) -> list[Clipping]:
    """Return every clipping with a story that is the same story as `fp`, the most similar
    first (a text may bridge two stories that began apart: a reprint seen before its
    original). Two queries, as `nearest`."""
    keys = band_keys(fp)
    if not keys:
        return []
    bands = FingerprintBand.objects.filter(key__in=keys)
    if exclude_pk is not None:
        bands = bands.exclude(clipping_id=exclude_pk)
    ranked = (
        bands.values("clipping_id")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "clipping_id")[:MAX_CANDIDATES]
    )
    ids = [row["clipping_id"] for row in ranked]
    if not ids:
        return []
    candidates = Clipping.objects.filter(pk__in=ids, story__isnull=False).only(
        "pk", "story", "state", "fingerprint"
    )
    scored = [
        ((containment(fp, c.fingerprint), similarity(fp, c.fingerprint)), c)
        for c in candidates
        if same_story(fp, c.fingerprint)
    ]
    scored.sort(key=lambda pair: (pair[0], -pair[1].pk), reverse=True)
    return [clipping for _, clipping in scored]


def best_match(fp: bytes, candidates: Iterable[T], *, key: Callable[[T], bytes]) -> T | None:
    """Return the candidate of the same story as `fp` and most like it, or None."""
    best, best_score = None, None
    for candidate in candidates:
        other = key(candidate)
        if not same_story(fp, other):
            continue
        score = (containment(fp, other), similarity(fp, other))
        if best_score is None or score > best_score:
            best, best_score = candidate, score
    return best


def write_bands(clipping: Clipping) -> None:
    """Replace the clipping's band rows with those of its current fingerprint."""
    keys = dict.fromkeys(band_keys(clipping.fingerprint))
    # No savepoint of its own (two queries): inside the caller's transaction (ingest's store)
    # a failure here fails the whole store, which is what a half-written clipping needs.
    with transaction.atomic(savepoint=False):
        FingerprintBand.objects.filter(clipping=clipping).delete()
        FingerprintBand.objects.bulk_create(
            FingerprintBand(clipping=clipping, key=key) for key in keys
        )


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations (a odd, b), drawn as datasketch draws them for SCHEME: numpy's
    RandomState from the seed, so the same seed gives the same permutations everywhere. Drawn
    once per process: that costs more than hashing a text."""
    generator = np.random.RandomState(seed)  # datasketch draws with the legacy generator
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _read(fp: bytes | memoryview | None) -> tuple[int, np.ndarray] | None:
    """Return a fingerprint's number of shingles and its MinHash values, or None when it is
    empty or of another scheme."""
    # PostgreSQL hands a BinaryField back as a memoryview.
    fp = bytes(fp or b"")
    if len(fp) != len(HEADER) + 4 + 4 * NUM_PERM or not fp.startswith(HEADER):
        return None
    (count,) = struct.unpack_from("<I", fp, len(HEADER))
    return count, np.frombuffer(fp, dtype="<u4", offset=len(HEADER) + 4)
