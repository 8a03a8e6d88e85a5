"""Chinese text for the index and for queries: words (rjieba) and character bigrams.

Words rank the results; bigrams find any part of a word. The bigram stream of a text keeps
its order (one token per position), so a run of adjacent bigrams is a substring of the text:
新材料 indexes as 新材 材料, and the phrase 新材 is found inside it.
"""

import re
import unicodedata
from functools import cache

# A token is kept when it holds at least one letter, digit or CJK character.
MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
# Runs of CJK characters, or of Latin letters and digits; anything else separates runs.
RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _jieba():
    """rjieba's segmenter, imported on the first use.

    Importing rjieba loads its dictionary (about 33 MiB): only processes that index or search
    pay for it, not the background worker sending e-mail nor a web worker that never searched.
    """
    import rjieba

    return rjieba


def index_terms(text: str) -> str:
    """Segment text for the index: every word and the shorter words inside long ones."""
    return " ".join(_clean(_jieba().cut_for_search(text or "")))


def query_terms(text: str) -> list[str]:
    """Segment a query into the words that must all occur, without repeats."""
    seen = []
    for term in _clean(_jieba().cut(text or "")):
        if term not in seen:
            seen.append(term)
    return seen


def index_grams(text: str) -> str:
    """Return the text's bigram stream: each CJK run as its bigrams, each Latin run whole.

    A CJK run of one character stays as that character, so that positions stay adjacent.
    """
    tokens = []
    for run in RUN.findall(_normal(text)):
        tokens.extend(_bigrams(run) if CJK.match(run) else [run])
    return " ".join(tokens)


def query_phrases(text: str) -> list[list[str]]:
    """Return the bigram phrases that must occur for `text` to occur as a substring.

    A single CJK character has no bigram: it splits the phrase, and a query made only of
    single characters has no phrase at all (the caller asks for two characters).
    """
    phrases, current = [], []
    for run in RUN.findall(_normal(text)):
        if CJK.match(run) and len(run) == 1:
            if current:
                phrases.append(current)
            current = []
            continue
        current.extend(_bigrams(run) if CJK.match(run) else [run])
    if current:
        phrases.append(current)
    return phrases


def _normal(text):
    # Full-width letters and digits (ＡＩ, ２０２３) are the same letters and digits.
    return unicodedata.normalize("NFKC", text or "").lower()


def _bigrams(run):
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _clean(tokens):
    return [token.strip().lower() for token in tokens if MEANINGFUL.search(token)]
