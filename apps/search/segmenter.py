"""Chinese word segmentation (rjieba: jieba's dictionary and results, in Rust)."""

import re

import rjieba

# A token is kept when it holds at least one letter, digit or CJK character.
MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def index_terms(text: str) -> str:
    """Segment text for the index: every word and the shorter words inside long ones."""
    return " ".join(_clean(rjieba.cut_for_search(text or "")))


def query_terms(text: str) -> list[str]:
    """Segment a query into the words that must all occur, without repeats."""
    seen = []
    for term in _clean(rjieba.cut(text or "")):
        if term not in seen:
            seen.append(term)
    return seen


def _clean(tokens):
    return [token.strip().lower() for token in tokens if MEANINGFUL.search(token)]
