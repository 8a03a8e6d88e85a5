"""What a web process loads: not numpy (20 MiB each) nor the charset detector (4 MiB), which
only intake's worker needs."""

import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
import config.wsgi
loaded = "numpy" in sys.modules or "charset_normalizer" in sys.modules
from openpyxl import Workbook
book = Workbook()
book.active.append(["订户", 3])
import numpy
print(loaded, type(numpy.zeros(1)).__name__)
"""


def test_the_web_application_loads_without_the_workers_libraries_and_can_import_them_later():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "web-imports-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": "locmemcache://",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["False", "ndarray"]
