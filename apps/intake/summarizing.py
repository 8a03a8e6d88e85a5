"""The extractive summary draft: the text's own best sentences, at most `limit` characters.

Sentences are ranked by TextRank (Mihalcea and Tarau, 2004) over their rjieba words: a
sentence that shares words with many others states what the text is about. The rank is
weighted towards early sentences (a news item leads with its point) and towards the title's
words. Outlets' lines (来源, 责任编辑, 扫码关注 …) and the dateline with the reporter's name are
never chosen. The chosen sentences keep the text's order. No model is downloaded: rjieba's
dictionary is part of the package.
"""

import math
import re
from typing import NamedTuple

import numpy as np

from apps.intake.dedupe import BYLINE, DATELINE, OUTLET_TAG, is_boilerplate
from apps.search.segmenter import query_terms

ELLIPSIS = "……"
# A sentence ends at one of these, with any closing quotes or brackets after it; an English
# full stop only before a space, so that 3.1% stays whole.
SENTENCE = re.compile(r"[^。！？；!?;\n]*?(?:[。！？；!?;]+|\.(?=\s)|$)[”’」』）)\"']*", re.M)
END = "。！？；!?;.”’」』）)\"'"
CUT_AT = "，、,"
# Sentences an outlet adds inside the text rather than on a line of their own.
NOISE = re.compile(r"点击|扫码|扫描二维码|长按|关注我们|欢迎关注|转载请|版权归|免责声明|阅读原文")
# Sentences shorter than this (a heading such as 一、, a stray number), and lines without a
# sentence mark shorter than UNMARKED (a signature, a date), are chosen only when nothing else is.
SHORTEST = 8
UNMARKED = 20
# Sentences after the best are added while they fit and score at least this share of it.
FILL = 0.5
# Sentences ranked: the rank costs the square of their number, and a summary is drawn from the
# start of a text anyway. A page of a million characters costs what one of 200 sentences does.
MOST_SENTENCES = 200
DAMPING = 0.85
ITERATIONS = 30


def extractive_summary(text: str, title: str = "", limit: int = 120) -> str:
    """Return the text's best sentences in their order, at most `limit` characters, ending on
    a sentence's end; a best sentence longer than `limit` is cut at a comma and marked ……."""
    sentences = _sentences(text or "")
    if not sentences:
        return ""
    scores = _scores(sentences, title)
    order = sorted(range(len(sentences)), key=lambda index: (-scores[index], index))
    best = order[0]
    if len(sentences[best].text) > limit:
        return _cut(sentences[best].text, limit)
    chosen, used = [best], len(sentences[best].text)
    for index in order[1:]:
        if scores[index] < FILL * scores[best]:
            break
        if used + len(sentences[index].text) <= limit:
            chosen.append(index)
            used += len(sentences[index].text)
    chosen.sort()
    parts = []
    for position, index in enumerate(chosen):
        part = sentences[index].text
        # A clause cut off at ；, with its sequel not chosen, ends as a sentence.
        if part[-1] in "；;" and chosen[position + 1 : position + 2] != [index + 1]:
            part = part[:-1] + "。"
        parts.append(part)
    return "".join(parts)


class Sentence(NamedTuple):
    text: str
    # A short line without a sentence mark: a heading, a signature, a date.
    weak: bool


def _sentences(text: str) -> list[Sentence]:
    """Return the text's sentences, outlets' lines and noise removed, each ending on a mark."""
    result, seen = [], set()
    for line in text.splitlines():
        if not line.strip() or is_boilerplate(line):
            continue
        line = DATELINE.sub("", OUTLET_TAG.sub("", line))
        for match in SENTENCE.finditer(line):
            sentence = BYLINE.sub("", match.group()).strip()
            if not _meaningful(sentence) or is_boilerplate(sentence) or NOISE.search(sentence):
                continue
            if sentence in seen:  # a line the page repeats (a caption, a slogan) counts once
                continue
            seen.add(sentence)
            if len(result) == MOST_SENTENCES:
                return result
            weak = len(sentence) < SHORTEST
            if sentence[-1] not in END:
                weak = weak or len(sentence) < UNMARKED
                sentence += "。" if re.search(r"[\u3400-\u9fff]", sentence) else "."
            result.append(Sentence(sentence, weak))
    return result


def _meaningful(sentence: str) -> bool:
    return bool(re.search(r"[0-9A-Za-z\u3400-\u9fff]", sentence))


def _scores(sentences: list[Sentence], title: str) -> list[float]:
    """Return each sentence's score: its TextRank, weighted for being early and for sharing
    the title's words."""
    words = [_words(sentence.text) for sentence in sentences]
    count = len(sentences)
    weights = np.zeros((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            common = len(words[i] & words[j])
            if common:
                # TextRank's similarity: shared words, discounted for long sentences.
                norm = math.log(len(words[i]) + 1) + math.log(len(words[j]) + 1)
                weights[i, j] = weights[j, i] = common / norm
    rank = _pagerank(weights)
    title_words = _words(title)
    scores = []
    for index, sentence in enumerate(sentences):
        about_title = len(words[index] & title_words) / len(title_words) if title_words else 0.0
        early = 1 + 1 / (1 + index)  # the lead counts double, the tenth sentence 1.09
        weak = 0.1 if sentence.weak else 1.0
        # The floor lets place and title still tell apart sentences that share no word.
        scores.append((0.2 + rank[index]) * early * (1 + about_title) * weak)
    return scores


def _words(text: str) -> set[str]:
    # Words of one CJK character are mostly particles (的, 了, 在): not what a text is about.
    return {word for word in query_terms(text) if len(word) > 1 or not word.isalpha()}


def _pagerank(weights: np.ndarray) -> np.ndarray:
    """Return each sentence's rank, the best 1 (all 1 when no sentence shares a word)."""
    count = len(weights)
    totals = weights.sum(axis=1)
    if not totals.any():
        return np.ones(count)
    # Rows without links spread evenly, as in PageRank.
    transition = np.where(totals[:, None] > 0, weights / np.maximum(totals, 1e-12)[:, None], 1)
    transition = transition / transition.sum(axis=1)[:, None]
    rank = np.full(count, 1 / count)
    for _ in range(ITERATIONS):
        rank = (1 - DAMPING) / count + DAMPING * transition.T @ rank
    return rank / rank.max()


def _cut(sentence: str, limit: int) -> str:
    """Cut a sentence longer than `limit` at its last comma before the limit, and mark it."""
    room = limit - len(ELLIPSIS)
    if room <= 0:
        return ""
    head = sentence[:room]
    at = max(head.rfind(mark) for mark in CUT_AT)
    # A comma near the start would leave almost nothing: cut the words instead.
    if at >= room // 3:
        head = head[:at]
    return head.rstrip(" ，、,;；：:") + ELLIPSIS
