FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STATIC_ROOT=/app/static

WORKDIR /app
# Pango for WeasyPrint (PDF), Noto CJK so the PDF has Chinese glyphs, PostgreSQL's client
# tools for `manage.py backup` / `restore`, and Node, which draws the work report's charts
# (apps/insight/render_charts.js with the vendored ECharts; no npm packages).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
       postgresql-client nodejs \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .
# collectstatic needs settings but no secrets; this key exists only during the build.
# Collected (hashed, compressed) once, into the image; the compose web service copies them to
# the volume nginx serves them from.
RUN DJANGO_DEBUG=0 SECRET_KEY=collectstatic-only CACHE_URL=locmemcache:// \
    python manage.py collectstatic --noinput \
    && useradd --system --home /app bulletin \
    && mkdir -p /app/media /app/backups /srv/static \
    && chown bulletin /app/media /app/backups /srv/static
USER bulletin

EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers ${WEB_WORKERS:-3}"]
