"""The reprints' fingerprint is datasketch's MinHash, computed without the datasketch package
(which imports SciPy): fingerprints stored before keep matching the new ones."""

import subprocess
import sys

from datasketch import MinHash
from django.conf import settings

from apps.intake import dedupe

TEXTS = [
    "许昌市超硬材料产业集群加快成形，一批企业新建生产线，预计年产值增长二十个百分点。" * 3,
    "瑞贝卡发制品远销非洲，订单排到年底，蕾丝头套和发块产品供不应求。长葛市再添新项目。" * 2,
    "abc" * 40 + "许昌",
]


def datasketch_values(text: str):
    normal = dedupe.normalize(text)
    shingles = {normal[i : i + dedupe.SHINGLE] for i in range(len(normal) - dedupe.SHINGLE + 1)}
    reference = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.SEED, scheme=dedupe.SCHEME)
    reference.update_batch(shingle.encode() for shingle in shingles)
    return len(shingles), reference.hashvalues


def test_the_fingerprint_holds_datasketchs_minhash():
    for text in TEXTS:
        count, values = datasketch_values(text)
        read = dedupe._read(dedupe.fingerprint(text))
        assert read is not None
        assert read[0] == count
        assert read[1].tolist() == values.tolist()


def test_fingerprinting_does_not_load_scipy():
    script = (
        "import sys, django; django.setup(); from apps.intake import dedupe, ingest; "
        f"assert dedupe.fingerprint({TEXTS[0]!r}); "
        "print([m for m in ('scipy', 'sklearn', 'datasketch') if m in sys.modules])"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert done.stdout.strip() == "[]"
