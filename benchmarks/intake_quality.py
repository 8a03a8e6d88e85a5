"""The intake pool's quality figures, each beside its target (met / NOT MET).

Dedupe (apps.intake.dedupe) on the test set in tests/intake/reprints: the share of reprints
filed with their original and the number of distinct stories merged, the set filed in several
orders (as the worker meets them: original first, reprints first, shuffled); the margins the
parameters leave, exactly (whole shingle sets) and as the fingerprints estimate them; the same
figures with other MinHash seeds, to show the result does not rest on one lucky seed; and the
cost of a fingerprint and of a lookup's candidates.

Summaries (apps.intake.summarizing): milliseconds per 1,500-character text, and how often the
summary of an original starts with its lead sentence.

Nothing here touches the database. Runs in a few seconds:
    DJANGO_DEBUG=1 .venv/bin/python benchmarks/intake_quality.py
Exits with 1 when a target is missed.
"""

import os
import statistics
import struct
import sys
import time
from contextlib import contextmanager
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPRINTS_TARGET = 0.95  # share of reprints filed with their original
MERGED_TARGET = 0  # distinct stories filed together
SUMMARY_MS_TARGET = 5.0  # per 1,500-character text: 6,000 pages in the ingest bench
OTHER_SEEDS = range(1, 9)
ORDERS = 6  # manifest, reversed and four fixed shuffles


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main() -> int:
    setup_django()
    missed = 0
    missed += dedupe_section()
    missed += summary_section()
    # The tagger's figures (learned tagger against the keyword suggester) belong here too.
    return 1 if missed else 0


# --- Dedupe ----------------------------------------------------------------------------------


def dedupe_section() -> int:
    from apps.intake import dedupe
    from tests.intake import reprints

    texts = reprints.load()
    kinds = [text.kind for text in texts]
    print("== Reprints (apps.intake.dedupe) ==")
    print(
        f"test set: {kinds.count('original')} originals, {kinds.count('reprint')} reprints, "
        f"{kinds.count('distinct')} distinct articles on an original's subject"
    )
    candidate = 1 - (1 - dedupe.THRESHOLD**dedupe.ROWS) ** dedupe.BANDS
    print(
        f"parameters: shingles of {dedupe.SHINGLE} characters, {dedupe.NUM_PERM} permutations "
        f"(seed {dedupe.SEED}); one story when containment >= {dedupe.CONTAINMENT} and "
        f"Jaccard >= {dedupe.THRESHOLD}; {dedupe.BANDS} bands of {dedupe.ROWS} "
        f"(a pair at Jaccard {dedupe.THRESHOLD} is a candidate with p = {candidate:.3f})"
    )

    missed = 0
    worst = None
    for number, order in enumerate(reprints.orders(ORDERS)):
        figures = reprints.evaluate(order)
        name = ["manifest order", "reversed", *(f"shuffle {n}" for n in range(ORDERS - 2))][number]
        ok = figures.found_share >= REPRINTS_TARGET and figures.stories_merged <= MERGED_TARGET
        missed += not ok
        print(
            f"  {name:<15} reprints found {figures.reprints_found}/{figures.reprints} "
            f"({figures.found_share:.1%}), distinct stories merged {figures.stories_merged} "
            f"— {'met' if ok else 'NOT MET'}"
            + (f"; missed {', '.join(figures.missed)}" if figures.missed else "")
            + (f"; merged {figures.merged}" if figures.merged else "")
        )
        if worst is None or figures.found_share < worst.found_share:
            worst = figures
    print(
        f"targets: reprints found >= {REPRINTS_TARGET:.0%} (worst order {worst.found_share:.1%}), "
        f"distinct stories merged = {MERGED_TARGET}"
    )

    _print_margins(texts, dedupe)
    missed += _print_other_seeds(dedupe, reprints)
    _print_costs(texts, dedupe)
    return missed


def _pairs(texts):
    """The reprint-original pairs, and the pairs of texts of two different true stories."""
    by_id = {text.id: text for text in texts}
    same = [(text, by_id[text.of]) for text in texts if text.kind == "reprint"]
    different = [(a, b) for a, b in combinations(texts, 2) if a.truth != b.truth]
    return same, different


def _print_margins(texts, dedupe) -> None:
    same, different = _pairs(texts)
    sets = {}
    for text in texts:
        normal = dedupe.normalize(text.text)
        k = dedupe.SHINGLE
        sets[text.id] = {normal[i : i + k] for i in range(len(normal) - k + 1)}

    def exact(a, b):
        common = len(sets[a.id] & sets[b.id])
        return common / min(len(sets[a.id]), len(sets[b.id])), common / len(sets[a.id] | sets[b.id])

    prints = {text.id: dedupe.fingerprint(text.text) for text in texts}

    def estimated(a, b):
        return (
            dedupe.containment(prints[a.id], prints[b.id]),
            dedupe.similarity(prints[a.id], prints[b.id]),
        )

    for label, measure in (("exact", exact), ("estimated", estimated)):
        reprint = min((measure(a, b), a.id) for a, b in same)
        distinct = max((measure(a, b), a.id, b.id) for a, b in different)
        low_jaccard = min((measure(a, b)[1], a.id) for a, b in same)
        print(
            f"  {label:<9} containment: reprints >= {reprint[0][0]:.3f} ({reprint[1]}), "
            f"distinct <= {distinct[0][0]:.3f} ({distinct[1]}/{distinct[2]}, Jaccard "
            f"{distinct[0][1]:.3f}); reprints' Jaccard >= {low_jaccard[0]:.3f} ({low_jaccard[1]})"
        )


@contextmanager
def _seed(dedupe, seed):
    """Make fingerprints with another MinHash seed for the duration (HEADER names the seed)."""
    saved = dedupe.SEED, dedupe.HEADER
    dedupe.SEED = seed
    dedupe.HEADER = struct.pack("<BBBH", dedupe.FORMAT, dedupe.SHINGLE, seed, dedupe.NUM_PERM)
    try:
        yield
    finally:
        dedupe.SEED, dedupe.HEADER = saved


def _print_other_seeds(dedupe, reprints) -> int:
    found, merged = [], []
    for seed in OTHER_SEEDS:
        with _seed(dedupe, seed):
            prints = {text.id: dedupe.fingerprint(text.text) for text in reprints.load()}
            for order in reprints.orders(4):
                figures = reprints.evaluate(order, prints)
                found.append(figures.found_share)
                merged.append(figures.stories_merged)
    ok = min(found) >= REPRINTS_TARGET and max(merged) <= MERGED_TARGET
    print(
        f"  other seeds ({len(OTHER_SEEDS)} seeds x 4 orders): reprints found >= "
        f"{min(found):.1%} (mean {statistics.mean(found):.1%}), distinct stories merged <= "
        f"{max(merged)} — {'met' if ok else 'NOT MET'}"
    )
    return not ok


def _print_costs(texts, dedupe) -> None:
    samples = _texts_of(texts, 1500)
    dedupe.fingerprint(samples[0])
    start = time.perf_counter()
    prints = [dedupe.fingerprint(sample) for sample in samples]
    fingerprint_ms = (time.perf_counter() - start) / len(samples) * 1000
    start = time.perf_counter()
    for fp in prints:
        for other in prints[:100]:
            dedupe.same_story(fp, other)
    verify_ms = (time.perf_counter() - start) / len(prints) * 1000
    print(
        f"  cost: fingerprint {fingerprint_ms:.2f} ms per 1,500 characters "
        f"({len(prints[0])} bytes); verifying {dedupe.MAX_CANDIDATES} candidates "
        f"{verify_ms:.2f} ms; {dedupe.BANDS} band rows per clipping"
    )


def _texts_of(texts, length):
    """The test set's texts run together and cut into pieces of `length` characters."""
    joined = "\n".join(text.text for text in texts)
    return [joined[i : i + length] for i in range(0, len(joined) - length, length)]


# --- Summaries -------------------------------------------------------------------------------


def summary_section() -> int:
    from apps.intake.summarizing import extractive_summary
    from tests.intake import reprints

    texts = reprints.load()
    print("== Summaries (apps.intake.summarizing) ==")
    samples = _texts_of(texts, 1500)
    extractive_summary(samples[0])  # rjieba loads its dictionary on the first call
    times = []
    for sample in samples:
        start = time.perf_counter()
        extractive_summary(sample, "", 120)
        times.append((time.perf_counter() - start) * 1000)
    mean, worst = statistics.mean(times), max(times)
    ok = mean <= SUMMARY_MS_TARGET
    print(
        f"  {len(samples)} texts of 1,500 characters: {mean:.2f} ms each on average, "
        f"{worst:.2f} ms at most (target <= {SUMMARY_MS_TARGET} ms) — {'met' if ok else 'NOT MET'}"
    )
    originals = [text for text in texts if text.kind != "reprint"]
    leads = 0
    lengths = []
    for text in originals:
        summary = extractive_summary(text.text, text.title)
        lengths.append(len(summary))
        first = text.text.split("。")[0]
        leads += summary.startswith(first[: len(summary)].removesuffix("……")[:30])
    print(
        f"  originals and distinct articles: summary starts with the lead sentence in "
        f"{leads}/{len(originals)}; length {min(lengths)}–{max(lengths)} characters "
        f"(mean {statistics.mean(lengths):.0f}, limit 120)"
    )
    return not ok


if __name__ == "__main__":
    sys.exit(main())
