"""The stored tagger applied with numpy alone (tagging.LinearTagger): the same probabilities as
the scikit-learn pipeline it was trained as, no scikit-learn in the process that tags, and the
models stored before it (pickled pipelines) still used."""

import random
import subprocess
import sys
import textwrap
import warnings

import pytest
from django.conf import settings

from apps.articles.models import Industry
from apps.intake import tagging
from apps.intake.models import TaggerModel
from tests.intake.test_tagging import JUNCI, WIGS, build_archive, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_tagger():
    tagging.refresh()
    yield
    tagging.refresh()


def training_examples(count=150, seed=5):
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
    slugs = list(Industry.objects.values_list("slug", flat=True))
    examples = []
    for n in range(count):
        industries = [slugs[n % len(slugs)]]
        if rng.random() < 0.2:
            industries.append(rng.choice([s for s in slugs if s != industries[0]]))
        title, body = make_article(rng, industries)
        examples.append(
            tagging.Example(f"article:{n}", title, tagging.plain(body), frozenset(industries))
        )
    return examples, slugs


def fitted_pipeline(examples, slugs):
    from sklearn.preprocessing import MultiLabelBinarizer

    labels = MultiLabelBinarizer(classes=slugs).fit_transform([e.labels for e in examples])
    pipeline = tagging._pipeline()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an industry no example serves
        pipeline.fit([tagging.document(e.title, e.text) for e in examples], labels)
    return pipeline


def test_it_scores_as_the_pipeline_it_was_trained_as():
    examples, slugs = training_examples()
    # The last industry serves no example: the pipeline learns it as "never".
    examples = [e for e in examples if slugs[-1] not in e.labels]
    pipeline = fitted_pipeline(examples, slugs)
    linear = tagging.LinearTagger.from_pipeline(pipeline, slugs)
    documents = [tagging.document(*JUNCI), tagging.document(*WIGS), "", "   ", "Ａ  b\tC 许昌"]
    rng = random.Random(9)  # noqa: S311 - test data
    documents += [tagging.document(*make_article(rng, [slug])) for slug in slugs]

    expected = pipeline.predict_proba(documents)
    got = tagging.load(linear.dumps()).probabilities(documents)

    for row, probabilities in zip(expected, got, strict=True):
        assert list(probabilities) == slugs
        assert list(probabilities.values()) == pytest.approx(list(map(float, row)), abs=1e-9)
    assert all(row[slugs[-1]] == 0.0 for row in got)


def test_the_char_ngrams_are_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).build_analyzer()
    for text in ["许昌 发制品\n\n出口  a", "x", "ab  c", "", "  长葛市 超硬材料 \t2024年 "]:
        assert tagging.char_wb_ngrams(text.lower(), 2, 3) == analyzer(text)


def test_a_stored_model_tags_without_scikit_learn(archive_model, tmp_path):
    """The process that tags (the worker) reads the stored model and tags with it without
    importing scikit-learn or SciPy, which cost it about 70 MiB."""
    blob = tmp_path / "model"
    blob.write_bytes(bytes(archive_model.blob))
    script = textwrap.dedent(
        f"""
        import sys, django
        django.setup()
        from apps.intake import tagging
        tagger = tagging.load(open({str(blob)!r}, "rb").read())
        [row] = tagger.probabilities([tagging.document({JUNCI[0]!r}, {JUNCI[1]!r})])
        print(max(row, key=row.get))
        print([m for m in ("sklearn", "scipy") if m in sys.modules])
        """
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert done.stdout.splitlines() == ["building-materials", "[]"]


@pytest.fixture
def archive_model():
    build_archive()
    result = tagging.train(min_articles=60)
    assert result.kept, result.reason
    stored = TaggerModel.objects.get()
    assert bytes(stored.blob).startswith(tagging.LinearTagger.MAGIC)
    return stored


def test_a_model_stored_before_is_still_used(archive_model):
    """A pickled pipeline, as stored before LinearTagger, still tags (with scikit-learn)."""
    examples, slugs = training_examples(count=200)
    legacy = tagging.Tagger(fitted_pipeline(examples, slugs), slugs)
    TaggerModel.objects.filter(pk=archive_model.pk).update(blob=legacy.dumps())
    tagging.refresh()

    found = tagging.suggest(*JUNCI)

    assert found.version == archive_model.version
    [expected] = legacy.probabilities([tagging.document(*JUNCI)])
    best = max(expected, key=expected.get)
    assert found.chosen[0] == best == "building-materials"


def test_an_unreadable_model_leaves_the_keywords_to_tag(archive_model):
    TaggerModel.objects.filter(pk=archive_model.pk).update(blob=b"not a model")
    tagging.refresh()

    assert tagging.suggest(*JUNCI).version == "keywords"
