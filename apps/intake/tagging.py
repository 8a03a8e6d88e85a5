"""Industry tags for clippings, learned from the bulletin's own tagged articles (the tagger).

A scikit-learn pipeline reads a text as rjieba words and as character n-grams (which find the
parts of words the dictionary does not know) and scores each of the twelve industries with a
one-vs-rest logistic regression. It is trained from the published articles that have
industries and from the clippings whose industries an editor confirmed (corrections), tested
on a held-out fifth of the articles beside the keyword suggester (apps.articles.keywords) and
the model in use, and kept only when it beats the keywords and is not worse than that model.
Until one is kept, the keyword suggester tags. Every tag made here is a suggestion, marked
自动生成 until an editor saves it.

scikit-learn is imported only when a model is trained: a model is stored as its vocabularies,
weights and coefficients (`LinearTagger`), which numpy applies alone, so a process that tags
(the worker) does not load scikit-learn and SciPy (about 70 MiB). Models stored before, as a
pickled scikit-learn pipeline (`Tagger`), are still read and used, with scikit-learn.
"""

import logging
import math
import pickle
import re
import threading
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from html import unescape

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.articles.keywords import THRESHOLD as KEYWORD_THRESHOLD
from apps.articles.keywords import keyword_scores, suggest_industries
from apps.articles.models import Article, Industry
from apps.intake.models import Clipping, TaggerModel
from apps.search.segmenter import MEANINGFUL

logger = logging.getLogger(__name__)

KEYWORDS = "keywords"
# A title says most of what an article is about: it is read three times.
TITLE_REPEAT = 3
# The start of a long text decides its industries; the rest only costs time.
TEXT_CHARS = 3000
# Bounds on the vocabularies, which make most of the stored model's size.
WORD_FEATURES = 20_000
CHAR_FEATURES = 30_000
# An industry is chosen from this probability up, at most three; lesser ones down to SHOWN
# are shown as scores for the editor, at most SHOWN_AT_MOST of them.
DECISION = 0.5
CHOSEN_AT_MOST = 3
SHOWN = 0.15
SHOWN_AT_MOST = 5
# One article in HELD_OUT_ONE_IN is kept out of training to test on. The split hashes the
# article's key, so an article held out once stays held out as the archive grows: the model
# in use never saw the articles a newer one is compared with it on. Editors' corrections are
# few and are what the archive lacks: they are always learned from.
HELD_OUT_ONE_IN = 5
# How often a process looks for a newer model (one query), unless refresh() is called.
CHECK_EVERY = 60.0
# The worker trains again when the newest model is this old, trying at most once a day.
RETRAIN_AFTER = timedelta(days=7)
ATTEMPT_EVERY = timedelta(days=1)
ATTEMPT_KEY = "intake:tagger:attempt"
# Training reads the newest articles and corrections, at most this many: the newest say most
# about what the pool brings now, and the counts bound the worker's time and memory (3,000
# articles: about 15 s and 150 MiB on two cores).
ARTICLES_AT_MOST = 3000
CORRECTIONS_AT_MOST = 1000
# Older models are deleted beyond this many (each is a few hundred kilobytes).
KEEP_MODELS = 5
# Bodies are sanitized on save (apps.core.richtext): their tags are well formed, and a pattern
# removes them at a fraction of the cost of an HTML parser over the whole archive.
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Suggestion:
    """What a tagger suggests for one text."""

    scores: dict[str, float]  # industry slug -> score (0..1), the ones worth showing, best first
    chosen: list[str]  # slugs of the industries suggested, at most three
    version: str  # "keywords", or the version of the model that made it


@dataclass(frozen=True)
class Figures:
    """One tagger's held-out figures: per industry (slug -> precision, recall, f1; support,
    the examples that serve it; chosen, those it was suggested for) and overall (micro- and
    macro-averaged F1)."""

    industries: dict[str, dict[str, float]]
    micro_f1: float
    macro_f1: float


@dataclass
class TrainingResult:
    kept: bool
    reason: str  # in Chinese, for the editors
    version: str = ""  # the new model's, "" when none was trained
    articles: int = 0  # tagged published articles
    corrections: int = 0  # clippings whose industries an editor confirmed
    held_out: int = 0  # examples tested on
    model: Figures | None = None
    keywords: Figures | None = None
    current: Figures | None = None  # the model in use, on the same split
    current_version: str = ""
    size: int = 0  # bytes of the stored model
    names: dict[str, str] = field(default_factory=dict)  # slug -> industry name, for printing


@dataclass(frozen=True)
class Example:
    key: str  # "article:12", "clipping:7": decides the split
    title: str
    text: str
    labels: frozenset[str]


# --- the model --------------------------------------------------------------------------------


@cache
def _jieba():
    """rjieba, imported on the first use: its dictionary costs about 33 MiB."""
    import rjieba

    return rjieba


def words(text: str) -> list[str]:
    """Split a text into rjieba's words, without punctuation or spaces.

    The word vectorizer's tokenizer. It is pickled with the model by its name: keep it here.
    """
    return [word.lower() for word in _jieba().cut(text) if MEANINGFUL.search(word)]


def document(title: str, text: str) -> str:
    """Return what the tagger reads: the title, repeated for its weight, then the text."""
    return "\n".join([title] * TITLE_REPEAT + [text[:TEXT_CHARS]])


class Tagger:
    """A model stored before LinearTagger: the scikit-learn pipeline and the industries (slugs)
    of its columns, pickled. Still read (`load`) and used, with scikit-learn."""

    def __init__(self, pipeline, slugs: list[str]):
        self.pipeline = pipeline
        self.slugs = slugs

    def probabilities(self, documents: list[str]) -> list[dict[str, float]]:
        rows = self.pipeline.predict_proba(documents)
        return [dict(zip(self.slugs, map(float, row), strict=True)) for row in rows]

    def dumps(self) -> bytes:
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), 6)

    @staticmethod
    def loads(blob: bytes) -> "Tagger | LinearTagger":
        return load(blob)


# Whitespace runs, as scikit-learn's char_wb analyzer folds them.
_WHITE_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside words, each word padded with a space: scikit-learn's
    `analyzer="char_wb"` (its text.py, _char_wb_ngrams), for the model to read as trained."""
    found = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            offset = 0
            found.append(word[offset : offset + n])
            while offset + n < length:
                offset += 1
                found.append(word[offset : offset + n])
            if offset == 0:  # a short word (shorter than n) counts once
                break
    return found


class LinearTagger:
    """A trained model as applied: each of its two vocabularies (rjieba words; character
    n-grams) with its idf weights, then one logistic regression per industry. What the
    scikit-learn pipeline of `_pipeline()` computes (sublinear tf times idf, each part scaled
    to unit length, the parts side by side, the logistic of the linear score), with numpy
    only. Stored as plain lists and arrays: reading one needs neither scikit-learn nor SciPy.
    """

    MAGIC = b"intake-tagger-linear-1\n"

    def __init__(
        self,
        slugs,
        words_vocabulary,
        words_idf,
        chars_vocabulary,
        chars_idf,
        chars_range,
        coef,
        intercept,
    ):
        import numpy as np

        self.slugs = list(slugs)
        self.words_vocabulary = {term: i for i, term in enumerate(words_vocabulary)}
        self.chars_vocabulary = {term: i for i, term in enumerate(chars_vocabulary)}
        self.words_idf = np.asarray(words_idf, dtype=np.float64)
        self.chars_idf = np.asarray(chars_idf, dtype=np.float64)
        self.chars_range = tuple(chars_range)
        # One row per feature (the words' first), one column per industry.
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def from_pipeline(cls, pipeline, slugs: list[str]) -> "LinearTagger":
        """The fitted pipeline of `_pipeline()`, as numpy applies it."""
        import numpy as np

        parts = dict(pipeline.named_steps["features"].transformer_list)
        by_word, by_char = parts["words"], parts["chars"]
        width = len(by_word.vocabulary_) + len(by_char.vocabulary_)
        coef = np.zeros((width, len(slugs)))
        intercept = np.zeros(len(slugs))
        for column, estimator in enumerate(pipeline.named_steps["classify"].estimators_):
            if hasattr(estimator, "coef_"):
                coef[:, column] = estimator.coef_[0]
                intercept[column] = estimator.intercept_[0]
            else:  # an industry never (or always) seen in training: scored 0 (or 1) always
                intercept[column] = math.inf if float(estimator.y_[0]) else -math.inf
        return cls(
            slugs,
            _terms(by_word.vocabulary_),
            by_word.idf_,
            _terms(by_char.vocabulary_),
            by_char.idf_,
            by_char.ngram_range,
            coef,
            intercept,
        )

    def probabilities(self, documents: list[str]) -> list[dict[str, float]]:
        import numpy as np

        rows = []
        for text in documents:
            score = self.intercept.copy()
            offset = len(self.words_vocabulary)
            for vocabulary, idf, terms, start in (
                (self.words_vocabulary, self.words_idf, words(text), 0),
                (
                    self.chars_vocabulary,
                    self.chars_idf,
                    char_wb_ngrams(text.lower(), *self.chars_range),
                    offset,
                ),
            ):
                counts = Counter(
                    index for term in terms if (index := vocabulary.get(term)) is not None
                )
                if not counts:
                    continue
                columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                values = np.log(np.fromiter(counts.values(), dtype=np.float64)) + 1.0
                values *= idf[columns]
                values /= np.sqrt(values @ values)
                score += values @ self.coef[columns + start]
            with np.errstate(over="ignore"):
                probability = 1.0 / (1.0 + np.exp(-score))
            rows.append(dict(zip(self.slugs, map(float, probability), strict=True)))
        return rows

    def dumps(self) -> bytes:
        state = {
            "slugs": self.slugs,
            "words_vocabulary": _terms(self.words_vocabulary),
            "words_idf": self.words_idf,
            "chars_vocabulary": _terms(self.chars_vocabulary),
            "chars_idf": self.chars_idf,
            "chars_range": self.chars_range,
            "coef": self.coef,
            "intercept": self.intercept,
        }
        return self.MAGIC + zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 6)


def _terms(vocabulary: dict[str, int]) -> list[str]:
    """A vocabulary's terms in the order of their columns."""
    return sorted(vocabulary, key=vocabulary.__getitem__)


def load(blob: bytes) -> "Tagger | LinearTagger":
    """Read a stored model: a LinearTagger, or a pickled Tagger stored before it."""
    # The blob was written by train() into our own database: as trusted as the code.
    blob = bytes(blob)
    if blob.startswith(LinearTagger.MAGIC):
        state = pickle.loads(zlib.decompress(blob[len(LinearTagger.MAGIC) :]))  # noqa: S301
        return LinearTagger(**state)
    return pickle.loads(zlib.decompress(blob))  # noqa: S301


def _pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                tokenizer=words,
                                token_pattern=None,
                                lowercase=False,
                                sublinear_tf=True,
                                max_features=WORD_FEATURES,
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 3),
                                sublinear_tf=True,
                                min_df=2,
                                max_features=CHAR_FEATURES,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "classify",
                OneVsRestClassifier(
                    # Few articles serve a given industry: "balanced" keeps them from being
                    # outvoted by all the others.
                    LogisticRegression(
                        C=10.0,
                        class_weight="balanced",
                        solver="liblinear",
                        max_iter=1000,
                        random_state=0,  # the same archive makes the same model
                    )
                ),
            ),
        ]
    )


def fit(examples: list[Example], slugs: list[str]) -> LinearTagger:
    """Train a tagger on `examples` for the industries `slugs`: the tagger stored and used,
    tested as it will be applied."""
    from sklearn.preprocessing import MultiLabelBinarizer

    labels = MultiLabelBinarizer(classes=slugs).fit_transform([e.labels for e in examples])
    pipeline = _pipeline()
    with warnings.catch_warnings():
        # An industry no training article serves is learned as "never": that is the warning.
        warnings.simplefilter("ignore", UserWarning)
        pipeline.fit([document(e.title, e.text) for e in examples], labels)
    return LinearTagger.from_pipeline(pipeline, list(slugs))


def _ranked(probabilities: dict[str, float], known: set[str]) -> tuple[dict[str, float], list[str]]:
    """Return the scores worth showing, best first, and the industries chosen."""
    ranked = sorted(
        ((slug, p) for slug, p in probabilities.items() if slug in known),
        key=lambda pair: -pair[1],
    )
    scores = {slug: round(p, 3) for slug, p in ranked[:SHOWN_AT_MOST] if p >= SHOWN}
    chosen = [slug for slug, p in ranked[:CHOSEN_AT_MOST] if p >= DECISION]
    return scores, chosen


# --- suggesting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    version: str | None  # of the newest model, None when there is none
    tagger: "Tagger | LinearTagger | None"  # None when there is none or it could not be read
    industries: tuple  # Industry rows, for the keyword suggester and to drop unknown slugs
    checked: float  # time.monotonic() of the last look


_NOTHING = _Loaded(None, None, (), float("-inf"))
_loaded = _NOTHING
_loading = threading.Lock()


def refresh() -> None:
    """Forget the loaded model and industries: the next suggest() reads them again."""
    global _loaded
    _loaded = _NOTHING


def _current() -> _Loaded:
    global _loaded
    if time.monotonic() - _loaded.checked < CHECK_EVERY:
        return _loaded
    with _loading:
        loaded = _loaded
        if time.monotonic() - loaded.checked < CHECK_EVERY:
            return loaded  # another thread looked while this one waited
        newest = TaggerModel.objects.order_by("-trained_at", "-pk").values_list(
            "version", flat=True
        )
        version = newest.first()
        tagger = loaded.tagger if version == loaded.version else _load(version)
        industries = tuple(Industry.objects.only("pk", "name", "slug"))
        _loaded = _Loaded(version, tagger, industries, time.monotonic())
        return _loaded


def _load(version: str | None) -> "Tagger | LinearTagger | None":
    if version is None:
        return None
    blob = TaggerModel.objects.filter(version=version).values_list("blob", flat=True).first()
    if blob is None:
        return None
    try:
        return load(blob)
    except Exception:  # e.g. written by another scikit-learn: tag by keywords until retrained
        logger.exception("tagger model %s could not be loaded", version)
        return None


def suggest(title: str, text: str) -> Suggestion:
    """Suggest industries for a text: by the newest kept model, else by keywords."""
    return _suggest(_current(), title, text)


def suggester() -> Callable[[str, str], Suggestion]:
    """`suggest` bound to the model in use now. The database is read here, in the caller's
    thread; the function returned reads none, so a round's reading threads can tag."""
    loaded = _current()
    return partial(_suggest, loaded)


def _suggest(loaded: "_Loaded", title: str, text: str) -> Suggestion:
    if loaded.tagger is None:
        return _by_keywords(title, text, loaded.industries)
    [probabilities] = loaded.tagger.probabilities([document(title, text)])
    scores, chosen = _ranked(probabilities, {industry.slug for industry in loaded.industries})
    return Suggestion(scores=scores, chosen=chosen, version=loaded.version)


def _by_keywords(title: str, text: str, industries) -> Suggestion:
    # A keyword count at the suggester's threshold scores DECISION, as a model's does.
    counts = keyword_scores(title=title, text=text, industries=industries)
    scale = DECISION / KEYWORD_THRESHOLD
    probabilities = {i.slug: min(1.0, counts.get(i.pk, 0) * scale) for i in industries}
    scores, _ = _ranked(probabilities, set(probabilities))
    chosen = [i.slug for i in suggest_industries(title=title, text=text, industries=industries)]
    return Suggestion(scores=scores, chosen=chosen, version=KEYWORDS)


# --- training ---------------------------------------------------------------------------------


def plain(html: str) -> str:
    return " ".join(unescape(TAG.sub(" ", html)).split())


def examples() -> tuple[list[Example], int, int]:
    """Return the training examples, the number of tagged articles and of corrections.

    The newest ARTICLES_AT_MOST published articles that have industries, and the newest
    CORRECTIONS_AT_MOST clippings whose industries an editor confirmed, unless they became a
    published article (which counts already).
    """
    published = Article.Status.PUBLISHED
    tagged = Article.objects.filter(
        Exists(Article.industries.through.objects.filter(article=OuterRef("pk"))),
        status=published,
    )
    articles = tagged.order_by("-pk")[:ARTICLES_AT_MOST]
    article_labels = _labels(
        Article.industries.through.objects.filter(article__in=articles.values("pk")),
        "article_id",
    )
    found = [
        Example(f"article:{pk}", title, plain(body), frozenset(article_labels[pk]))
        for pk, title, body in articles.values_list("pk", "title", "body")
    ]
    corrected = (
        Clipping.objects.filter(industries_reviewed=True)
        .exclude(article__status=published)
        .order_by("-pk")[:CORRECTIONS_AT_MOST]
    )
    clipping_labels = _labels(
        Clipping.industries.through.objects.filter(clipping__in=corrected.values("pk")),
        "clipping_id",
    )
    corrections = [
        # An editor who unticked every industry said "none of these": that teaches too.
        Example(f"clipping:{pk}", title, text, frozenset(clipping_labels.get(pk, ())))
        for pk, title, text in corrected.values_list("pk", "title", "text")
    ]
    # Oldest first, as the archive grew.
    return found[::-1] + corrections[::-1], len(found), len(corrections)


def _labels(links, owner: str) -> dict[int, set[str]]:
    labels: dict[int, set[str]] = {}
    for pk, slug in links.values_list(owner, "industry__slug").iterator():
        labels.setdefault(pk, set()).add(slug)
    return labels


def held_out(example: Example) -> bool:
    """Whether the example is kept out of training, to test on."""
    if not example.key.startswith("article:"):
        return False
    return zlib.crc32(example.key.encode()) % HELD_OUT_ONE_IN == 0


def figures(truth: list[frozenset], chosen: list[set], slugs: list[str]) -> Figures:
    """Return precision, recall and F1 per industry and their micro and macro F1.

    The macro average is over the industries the held-out examples serve: an industry with
    none there has no figures to average.
    """
    per_industry = {}
    totals = [0, 0, 0]  # true positives, false positives, false negatives
    for slug in slugs:
        tp = sum(1 for t, c in zip(truth, chosen, strict=True) if slug in t and slug in c)
        fp = sum(1 for t, c in zip(truth, chosen, strict=True) if slug not in t and slug in c)
        fn = sum(1 for t, c in zip(truth, chosen, strict=True) if slug in t and slug not in c)
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        per_industry[slug] = {**_prf(tp, fp, fn), "support": tp + fn, "chosen": tp + fp}
    served = [row["f1"] for row in per_industry.values() if row["support"]]
    return Figures(
        industries=per_industry,
        micro_f1=_prf(*totals)["f1"],
        macro_f1=round(sum(served) / len(served), 4) if served else 0.0,
    )


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _chosen_by(
    tagger: "Tagger | LinearTagger", test: list[Example], known: set[str]
) -> list[set[str]]:
    rows = tagger.probabilities([document(e.title, e.text) for e in test])
    return [set(_ranked(row, known)[1]) for row in rows]


def train(*, min_articles: int | None = None, now: datetime | None = None) -> TrainingResult:
    """Train a tagger and keep it if, on the same held-out articles, it beats the keyword
    suggester and is not worse than the model in use."""
    now = now or timezone.now()
    if min_articles is None:
        min_articles = settings.INTAKE_TAGGER_MIN_ARTICLES
    industries = list(Industry.objects.all())
    slugs = [industry.slug for industry in industries]
    names = {industry.slug: industry.name for industry in industries}
    found, articles, corrections = examples()
    counts = {"articles": articles, "corrections": corrections, "names": names}
    current = TaggerModel.objects.order_by("-trained_at", "-pk").first()
    if articles < min_articles:
        fallback = f"保留现用模型 {current.version}" if current else "继续使用关键词建议"
        return TrainingResult(
            kept=False, reason=f"已标注文章不足 {min_articles} 篇，{fallback}", **counts
        )
    test = [e for e in found if held_out(e)]
    learn = [e for e in found if not held_out(e)]
    if not test or not learn:
        return TrainingResult(kept=False, reason="已标注文章太少，无法留出检验集。", **counts)

    tagger = fit(learn, slugs)
    truth = [e.labels for e in test]
    known = set(slugs)
    model = figures(truth, _chosen_by(tagger, test, known), slugs)
    by_keywords = [
        {i.slug for i in suggest_industries(title=e.title, text=e.text, industries=industries)}
        for e in test
    ]
    keywords = figures(truth, by_keywords, slugs)
    in_use = _load(current.version) if current else None
    current_figures = figures(truth, _chosen_by(in_use, test, known), slugs) if in_use else None
    blob = tagger.dumps()
    result = TrainingResult(
        kept=False,
        reason="",
        version=_new_version(now),
        held_out=len(test),
        model=model,
        keywords=keywords,
        current=current_figures,
        current_version=current.version if in_use else "",
        size=len(blob),
        **counts,
    )
    if model.micro_f1 <= keywords.micro_f1:
        result.reason = (
            f"新模型在检验集上的 F1（{model.micro_f1:.2f}）不高于关键词建议"
            f"（{keywords.micro_f1:.2f}），未启用。"
        )
    elif current_figures and model.micro_f1 < current_figures.micro_f1:
        # As good as the model in use is good enough: the new one learned from more (the
        # articles published since, the editors' corrections).
        result.reason = (
            f"新模型在检验集上的 F1（{model.micro_f1:.2f}）低于现用模型 {current.version}"
            f"（{current_figures.micro_f1:.2f}），未启用。"
        )
    else:
        result.kept = True
        result.reason = (
            f"新模型在检验集上的 F1 为 {model.micro_f1:.2f}，高于关键词建议的 "
            f"{keywords.micro_f1:.2f}"
            + (f"，不低于现用模型的 {current_figures.micro_f1:.2f}" if current_figures else "")
            + "，已启用。"
        )
        _store(result, blob, trained_on=len(learn), now=now)
    return result


def _new_version(now: datetime) -> str:
    version = base = "m" + timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    n = 1
    while TaggerModel.objects.filter(version=version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def _store(result: TrainingResult, blob: bytes, *, trained_on: int, now: datetime) -> None:
    import sklearn

    metrics = {
        "model": asdict(result.model),
        "keywords": asdict(result.keywords),
        "current": asdict(result.current) if result.current else None,
        "current_version": result.current_version,
        "articles": result.articles,
        "corrections": result.corrections,
        "held_out": result.held_out,
        "size": result.size,
        "sklearn": sklearn.__version__,
    }
    with transaction.atomic():
        TaggerModel.objects.create(
            version=result.version, trained_at=now, articles=trained_on, metrics=metrics, blob=blob
        )
        old = TaggerModel.objects.order_by("-trained_at", "-pk").values_list("pk", flat=True)
        TaggerModel.objects.filter(pk__in=list(old[KEEP_MODELS:])).delete()
    # This process tags with it from now on; the others find it within CHECK_EVERY.
    refresh()


def train_weekly(now: datetime | None = None) -> TrainingResult | None:
    """Train when the newest model is a week old (or there is none) and enough articles are
    tagged; else do nothing, cheaply. For the worker's periodic jobs: it tries once a day."""
    now = now or timezone.now()
    newest = TaggerModel.objects.order_by("-trained_at").values_list("trained_at", flat=True)
    trained_at = newest.first()
    if trained_at is not None and now - trained_at < RETRAIN_AFTER:
        return None
    tagged = Article.objects.filter(
        status=Article.Status.PUBLISHED, industries__isnull=False
    ).distinct()
    if tagged.count() < settings.INTAKE_TAGGER_MIN_ARTICLES:
        return None
    # Claimed in the shared cache: one worker of several trains, and a model that was not
    # kept is not trained again every minute.
    if not shared_cache.add(ATTEMPT_KEY, now.isoformat(), ATTEMPT_EVERY.total_seconds()):
        return None
    result = train(now=now)
    logger.info(
        "tagger trained: %s",
        result.reason,
        extra={"event": "tagger_trained", "kept": result.kept, "version": result.version},
    )
    return result
