# The two commands a new machine needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Local runs are development runs; production sets DJANGO_DEBUG=0 and a SECRET_KEY.
DJANGO_DEBUG ?= 1
export DJANGO_DEBUG

# System packages: WeasyPrint's text layout (Pango), Chinese fonts for the PDF, Chromium for the
# browser tests, the PostgreSQL client tools for backups, and nginx and docker-compose for the
# deployment tests (the compose stack without containers; `config` checks the compose file).
# poppler-utils renders the PDF to images for the print-edition test's artifacts; nodejs draws
# the work report's charts (apps/insight/charts.py).
# Installed with apt when we are root and they are missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk chromium chromium-driver \
	postgresql-client nginx-light docker-compose redis-server poppler-utils nodejs

.PHONY: run test e2e bench soak lint format check-django install install-dev system-packages clean \
	mark-font

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed system-packages

install-dev: $(VENV)/.installed-dev system-packages

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "Missing system packages (PDF and browser tests need them): $$missing" >&2; \
		echo "Install them with: sudo apt-get install $$missing" >&2; \
	fi

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "在浏览器中打开 http://127.0.0.1:$(PORT)/ （编辑部：http://127.0.0.1:$(PORT)/admin/）"
	@echo "后台任务进程与网站一同运行：发送邮件、定时发布；开发环境的邮件打印在此控制台。"
	@# The worker runs beside the server and stops with it (Ctrl-C ends both).
	@# Both get PORT (also from `make run PORT=9000`): the links in their e-mails name it.
	@PORT=$(PORT) $(BIN)/python manage.py worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# pytest exits with 5 when it collected nothing: that is a broken suite, not a pass.
test: install-dev
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

# Reader journeys in a real Chromium against the app served by gunicorn on 127.0.0.1.
e2e: install-dev
	@$(BIN)/python -m pytest -m e2e tests/e2e; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no browser tests" >&2; exit 1; fi; exit $$status

# The reader pages under gunicorn on PostgreSQL with a generated archive, driven by wrk over
# loopback (bounded: a few seconds per page). Needs PostgreSQL on 127.0.0.1:5432 and Redis on
# 127.0.0.1:6379 (BENCH_DATABASE_URL and BENCH_CACHE_URL override).
bench: install-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1; }
	$(BIN)/python benchmarks/bench.py

# ruff, and import-linter's layers contract: the apps depend one way (pyproject.toml).
# Production settings under load while PostgreSQL restarts and Redis stops (benchmarks/soak.py):
# loopback only, about four minutes; the table goes to docs/reliability.md. Restarts the
# machine's PostgreSQL cluster: run it when nothing else uses it.
soak: install-dev
	$(BIN)/python benchmarks/soak.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-django: install-dev
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

# The reader's mark's font (apps/reader/fonts/): Noto Serif CJK SC cut down to GB 2312, ASCII and
# common punctuation, so that subsetting it for each copy's mark is quick. Committed; run this
# only to make it again (about 10 s).
MARK_FONT := apps/reader/fonts/NotoSerifCJKsc-Mark.otf
mark-font: install-dev
	$(BIN)/python -c "import string; chars = {bytes([h, l]).decode('gb2312', 'ignore') \
		for h in range(0xB0, 0xF8) for l in range(0xA1, 0xFF)}; \
		print(''.join(sorted((chars - {''}) | set(string.printable) | set('·：，。（）—－、'))))" \
		> $(VENV)/mark-font-chars.txt
	$(BIN)/python -m fontTools.subset /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
		--font-number=2 --text-file=$(VENV)/mark-font-chars.txt --output-file=$(MARK_FONT) \
		--layout-features='' --no-hinting --desubroutinize

clean:
	rm -rf $(VENV) staticfiles
