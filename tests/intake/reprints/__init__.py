"""The reprint test set: what tunes and checks apps.intake.dedupe.

texts/<id>.txt are main texts as an editor finds them; manifest.json says what each is:
- `original`: a news item or notice on the bulletin's subjects (o01 … o40);
- `reprint`: the same item as another outlet carried it (`of` its original): another headline,
  the outlet's lines above and below (来源, 责任编辑, 原标题, 声明, 扫码关注 …), a dateline and
  byline, a paragraph or two trimmed, a sentence reworded, an editor's note, full-width digits
  or ASCII punctuation;
- `distinct`: a different item on the same subject as an original (`of`), made hard on purpose:
  the same company's other news, the next month's release on the same template, the same
  ministry's other notice with the same wording.
The texts were written for these tests; names, places and figures are illustrative, not reports.

`group` files the texts as the pipeline does, one at a time: a text joins the story of the best
earlier text that `dedupe.best_match` accepts among those sharing a band key, else starts one.
"""

import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from apps.intake import dedupe

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Text:
    id: str
    kind: str  # original, reprint or distinct
    title: str
    text: str
    of: str = ""

    @property
    def truth(self) -> str:
        """The story this text belongs to: a reprint's original, else itself."""
        return self.of if self.kind == "reprint" else self.id


@dataclass(frozen=True)
class Figures:
    reprints: int
    reprints_found: int  # filed in the story of their original
    stories: int  # true stories: originals and distinct articles
    stories_merged: int  # true stories filed together with another
    merged: tuple[tuple[str, str], ...]  # the texts of two true stories filed together
    missed: tuple[str, ...]  # the reprints not filed with their original

    @property
    def found_share(self) -> float:
        return self.reprints_found / self.reprints


@cache
def load() -> tuple[Text, ...]:
    """Return the test set in the manifest's order (each original before its reprints)."""
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        Text(
            id=row["id"],
            kind=row["kind"],
            title=row["title"],
            of=row.get("of", ""),
            text=(HERE / "texts" / f"{row['id']}.txt").read_text(encoding="utf-8"),
        )
        for row in manifest
    )


def orders(count: int = 4) -> list[list[Text]]:
    """Return the orders the set is filed in: the manifest's, reversed (every reprint before
    its original), and `count - 2` fixed shuffles."""
    texts = list(load())
    result = [texts, texts[::-1]]
    for seed in range(count - 2):
        shuffled = texts[:]
        random.Random(seed).shuffle(shuffled)  # noqa: S311 (a fixed order, not a secret)
        result.append(shuffled)
    return result


@cache
def fingerprints() -> dict[str, bytes]:
    """Return each text's fingerprint, made once per process."""
    return {text.id: dedupe.fingerprint(text.text) for text in load()}


def group(texts: list[Text], prints: dict[str, bytes] | None = None) -> dict[str, int]:
    """File the texts in this order as the pipeline does; return each text's story number."""
    prints = prints or fingerprints()
    buckets: dict[int, list[str]] = {}
    story: dict[str, int] = {}
    stories = 0
    for text in texts:
        fp = prints[text.id]
        keys = dedupe.band_keys(fp)
        candidates = dict.fromkeys(other for key in keys for other in buckets.get(key, ()))
        best = dedupe.best_match(fp, candidates, key=prints.__getitem__)
        if best is None:
            story[text.id], stories = stories, stories + 1
        else:
            story[text.id] = story[best]
        for key in keys:
            buckets.setdefault(key, []).append(text.id)
    return story


def evaluate(texts: list[Text], prints: dict[str, bytes] | None = None) -> Figures:
    """File the texts in this order and count the reprints found and the stories merged."""
    story = group(texts, prints)
    reprints = [text for text in texts if text.kind == "reprint"]
    missed = tuple(text.id for text in reprints if story[text.id] != story[text.of])
    truths: dict[int, dict[str, str]] = {}
    for text in texts:
        truths.setdefault(story[text.id], {}).setdefault(text.truth, text.id)
    merged = tuple(
        (first, other)
        for members in truths.values()
        for first, other in zip(list(members.values()), list(members.values())[1:], strict=False)
    )
    return Figures(
        reprints=len(reprints),
        reprints_found=len(reprints) - len(missed),
        stories=sum(text.kind != "reprint" for text in texts),
        stories_merged=sum(len(members) for members in truths.values() if len(members) > 1),
        merged=merged,
        missed=missed,
    )
