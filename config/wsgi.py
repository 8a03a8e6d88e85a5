import gc
import os
import sys

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Imported once the settings module is named: it reads settings.
from config.bad_input import readable_content_type

# numpy is installed for intake's worker, and openpyxl (the subscribers' Excel import and
# export, loaded with the admin) imports it whenever it is there, only to accept numpy numbers
# in cells, which we never write: 20 MiB in every web process. It is kept out while the
# application loads (openpyxl then goes without), and can be imported again afterwards, by
# the one web path that uses it (an editor's 添加链接 reads the page as the worker does).
sys.modules["numpy"] = None  # type: ignore[assignment] - "not importable", by the import system
try:
    # Some Content-Type headers make Django fail while it builds the request, before any
    # middleware runs: the wrapper answers them with the Chinese 400 page (bad_input.py).
    application = readable_content_type(get_wsgi_application())
finally:
    del sys.modules["numpy"]

# Garbage collection. A full collection walks every object the collector tracks, and a worker
# holds about 100,000 that live as long as it does (models, the admin, the URLconf). With the
# default thresholds a page that allocates a lot (the desk, an admin list) set one off every
# dozen requests, a pause of 50-100 ms: most of those pages' p99 in `make bench`. So the
# URLconf is loaded now, what exists is moved out of the collector's sight (gc.freeze, as the
# gc module's documentation advises for long-lived processes), and the youngest generation is
# collected after 10,000 allocations instead of 700, so a request's own objects are mostly
# freed by reference counting before a pass looks at them.
get_resolver().url_patterns  # noqa: B018 - loads the URLconf before the freeze
gc.collect()  # what loading left behind is freed, not frozen with the rest
gc.freeze()
gc.set_threshold(10_000, 10, 10)
