"""Settings for the bulletin CMS, read from the environment.

Local runs (`make run`, `make test`) set DJANGO_DEBUG=1; anything else is production and must
provide SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.body_limit import BodyLimit
from config.editor_assets import EditorAssets

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core ------------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    # A fixed key is acceptable only for local runs: sessions of a dev server are throwaway.
    SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-secret")
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        ) from None

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.BulletinAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_ckeditor_5",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    # The project's apps, lowest layer first (the README's layout section; `make lint` checks it).
    "apps.core",
    "apps.accounts",
    "apps.issues",
    "apps.articles",
    "apps.subscribers",
    "apps.search",
    "apps.feedback",
    "apps.readership",
    "apps.uploads",
    "apps.push",
    "apps.notifications",
    "apps.workflow",
    "apps.demo",
    "apps.reader",
    "apps.backups",
    "apps.wordimport",
    "apps.intake",
    "apps.insight",
]

MIDDLEWARE = [
    "config.logs.RequestLogMiddleware",
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",
    # Inside the headers' middleware, so its 405 page carries them too; before the session and
    # the form are read, so a method the admin refuses reads neither.
    "config.error_pages.MethodNotAllowedPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: PostgreSQL cannot hold a NUL character.
    "config.bad_input.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Reads a posted form, under its sender's limit (known from here on), before anyone else.
    "config.bad_input.ReadFormMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.reader.context_processors.publication",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------

# An empty DATABASE_URL (as an unset compose variable gives) means the local default too.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# Keep connections between requests (a new PostgreSQL connection costs more than a page).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has two writers, the server and the worker: readers do not block
    # the writer (WAL), a write waits for the other's instead of failing, and a transaction
    # takes the write lock when it begins, so two never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A server that does not answer (a network partition, a host gone) fails a connection in
    # seconds, as a stopped one does, instead of holding a page or the worker indefinitely.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ------------------------------------------------------------------------

# CACHE_URL like redis://127.0.0.1:6379/1 in production, so every worker shares one cache. Local
# runs default to files under .cache/, shared by every process of the project (the server, a
# worker, a shell), so a change made in one reaches the pages the others cache. Sessions are
# read from the cache, written through to the database, so signing in survives a cache flush.
if not DEBUG and not env.str("CACHE_URL", default=""):
    # With a per-process cache, a withdrawal or a suspension would reach only one worker.
    raise ImproperlyConfigured(
        "CACHE_URL must be set when DJANGO_DEBUG is off (e.g. redis://127.0.0.1:6379/0)."
    )
CACHES = {
    "default": env.cache_url("CACHE_URL", default=f"filecache://{BASE_DIR / '.cache' / 'django'}")
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"
# Copies that are checked against the database before each use (apps.core.revisions) need
# not be shared between processes to be right: each process keeps its own, no round trip.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "bulletin-local",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Users and authentication ----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a login while its username and address are locked out (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.UsernameEmailOrMobileBackend",
]
# Argon2 first; older hashes are upgraded at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- Login throttling (django-axes) and staff two-factor login (django-otp) ---------------

# The tenth wrong password for one login name from one address locks that pair out for the
# cool-off time; a right password resets the count. E-mail and mobile count as the username.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "apps.accounts.backends.login_name"
AXES_CLIENT_IP_CALLABLE = "apps.accounts.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_VERBOSE = False
# The locks are shown, in Chinese and scoped to each role, by apps.accounts.admin.
AXES_ENABLE_ADMIN = False
# Behind a reverse proxy, the header it sets with the real client address, as Django names it
# in request.META (e.g. HTTP_X_REAL_IP); empty means the direct peer (REMOTE_ADDR).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
# Password-reset e-mails: at most this many per address, and per client address, an hour.
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=20)

# The back office asks staff for a TOTP code after the password, whenever DJANGO_DEBUG is off
# (the local demo keeps plain passwords so the demo accounts work).
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="许昌竞争情报快递")
# The admin never shows a device's secret or QR code; `manage.py totp_device` does, once.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reader:home"
LOGOUT_REDIRECT_URL = "login"

# Invitation and password-reset links work once, for three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time -----------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# With nginx in front: its internal location for uploads (e.g. /protected-media/). The app checks
# who may see a file, then answers with X-Accel-Redirect and nginx sends it. Empty: the app
# sends the file itself.
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded images are decoded by Pillow before anything else: these bounds keep a small file
# that expands to gigabytes of pixels (a "decompression bomb") from reaching the decoder.
IMAGE_UPLOAD_MAX_BYTES = env.int("IMAGE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env.int("IMAGE_UPLOAD_MAX_PIXELS", default=40_000_000)
# A form's text (its uploaded files are not counted): 5 MB, and more only where
# config.bad_input.ReadFormMiddleware grants it (config.body_limit): to signed-in staff in the
# back office, whose articles may hold 5 MB of text and more; the same text URL-encoded is
# about three times as large (Chinese: 9 bytes a character). The editor's script refuses a
# larger form before it is sent (static/admin-extra/form-size.js).
DATA_UPLOAD_MAX_MEMORY_SIZE = BodyLimit(5 * 1024 * 1024)
BACK_OFFICE_DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Backups ---------------------------------------------------------------------------------

# `manage.py backup` writes dated archives (database and uploads) here and keeps the newest few.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
# Signs backups (empty: SECRET_KEY), so installations may share backups without sharing SECRET_KEY.
BACKUP_SIGNING_KEY = env.str("BACKUP_SIGNING_KEY", default="")

# --- E-mail ----------------------------------------------------------------------------------

# EMAIL_URL like smtp://user:password@host:587 (or +tls / +ssl); printed to the console by default.
# That is how the worker sends (EMAIL_TRANSPORT). Every other sender, Django's password reset
# included, goes through EMAIL_BACKEND, which hands the message to the worker after the
# transaction commits (apps.notifications.outbox): no request ever waits for the mail server.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_TRANSPORT = _email.pop("EMAIL_BACKEND")
globals().update(_email)
EMAIL_BACKEND = "apps.notifications.outbox.QueuedEmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="许昌竞争情报快递 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails: the worker has no request to take the site's address from. A local run
# serves on PORT (`PORT=9000 make run` passes it to the server and the worker alike), so the
# links in its e-mails follow the port it serves on.
PORT = env.int("PORT", default=8000)
SITE_URL = env.str(
    "SITE_URL",
    default=f"https://{ALLOWED_HOSTS[0]}"
    if ALLOWED_HOSTS and not DEBUG
    else f"http://127.0.0.1:{PORT}",
).rstrip("/")

# --- Background work -------------------------------------------------------------------------

# Django's task API (the django-tasks backport of Django 6's django.tasks) with its database
# backend: the queue is a table, so a task enqueued in a transaction exists exactly when the
# transaction commits, and no other server is needed. `manage.py worker` runs the tasks and,
# once a minute, the periodic jobs (apps.notifications.schedule). README: Background work.
# "insight" keeps the dashboard's rollups (apps.insight.jobs): a thread of its own, so that a
# long refresh (the first one after deploying) never holds up the mail or intake's rounds.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "intake", "push", "insight"],
    }
}

# --- Security (production) -------------------------------------------------------------------

# Content-Security-Policy (django-csp, config/security.py): reader pages run only the site's own
# scripts; the back office's exceptions are in config/security.py and the README.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # CKEditor 5 reads the CSRF cookie to upload images.
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list cannot be undone and suits only public domains;
        # the bulletin often runs on an internal host name. The operator opts in explicitly.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- The publication -------------------------------------------------------------------------

PUBLICATION_NAME = env.str("PUBLICATION_NAME", default="许昌竞争情报快递")
PUBLICATION_PUBLISHER = env.str("PUBLICATION_PUBLISHER", default="许昌市科学技术情报研究所")
# Shown to subscribers whose subscription ended, and in invitations.
SUBSCRIPTION_CONTACT = env.str(
    "SUBSCRIPTION_CONTACT", default="如需开通或续订，请与许昌市科学技术情报研究所联系。"
)
# Whom a lapsed subscriber calls or writes to: shown under that text, the phone number and the
# address as links a phone opens in its dialler and mail app. Left empty, a line is left out.
# Local runs show sample values, so the page can be seen whole; a deployment sets its own.
SUBSCRIPTION_CONTACT_NAME = env.str("SUBSCRIPTION_CONTACT_NAME", default="许昌市科学技术情报研究所")
SUBSCRIPTION_CONTACT_PHONE = env.str(
    "SUBSCRIPTION_CONTACT_PHONE", default="0374-0000000" if DEBUG else ""
)
SUBSCRIPTION_CONTACT_EMAIL = env.str(
    "SUBSCRIPTION_CONTACT_EMAIL", default="subscriptions@example.com" if DEBUG else ""
)

# --- Rich text (CKEditor 5) ------------------------------------------------------------------

# Upload goes through our own view (re-encodes every image); the library's stays unrouted.
CK_EDITOR_5_UPLOAD_FILE_VIEW_NAME = "editor_image_upload"
CKEDITOR_5_FILE_UPLOAD_PERMISSION = "staff"
CKEDITOR_5_UPLOAD_FILE_TYPES = ["jpeg", "jpg", "png", "webp", "gif"]
# Our stylesheet (headings that look like headings) and scripts (字数, the form size check),
# loaded with the editor's own files wherever an editor is (config/editor_assets.py).
CKEDITOR_5_CUSTOM_CSS = EditorAssets()
CKEDITOR_5_CONFIGS = {
    # Source Editing and General HTML Support stay off: the editor can only produce markup the
    # server-side sanitizer (apps/core/richtext.py) keeps.
    #
    # The "Powered by CKEditor" badge stays. django-ckeditor-5 runs CKEditor 5 (v47) with the
    # licence key "GPL", and under the GPL CKEditor 5 shows the badge: the editor forces it on
    # for that key (ui.poweredBy cannot turn it off), and CKSource's licensing terms allow
    # removing it only with a commercial licence key ("Managing the CKEditor logo" in CKEditor
    # 5's documentation). Hiding it with CSS would break those terms, so we do not.
    "default": {
        "language": "zh-cn",
        # CKEditor counts words between spaces, so a Chinese sentence is "单词数：1". Its own
        # counter is hidden; static/admin-extra/editor-word-count.js shows 字数 in its place,
        # counted as Chinese editors count (each Chinese character one).
        "wordCount": {"displayWords": False, "displayCharacters": False},
        "toolbar": {
            "items": [
                "heading",
                "|",
                "bold",
                "italic",
                "underline",
                "strikethrough",
                "subscript",
                "superscript",
                "|",
                "link",
                "bulletedList",
                "numberedList",
                "blockQuote",
                "|",
                "insertTable",
                "imageUpload",
                "|",
                "removeFormat",
                "undo",
                "redo",
            ],
        },
        "heading": {
            "options": [
                {"model": "paragraph", "title": "正文", "class": "ck-heading_paragraph"},
                {
                    "model": "heading2",
                    "view": "h2",
                    "title": "标题 2",
                    "class": "ck-heading_heading2",
                },
                {
                    "model": "heading3",
                    "view": "h3",
                    "title": "标题 3",
                    "class": "ck-heading_heading3",
                },
                {
                    "model": "heading4",
                    "view": "h4",
                    "title": "标题 4",
                    "class": "ck-heading_heading4",
                },
            ],
        },
        "image": {
            "toolbar": ["imageTextAlternative", "|", "toggleImageCaption"],
        },
        "table": {
            "contentToolbar": ["tableColumn", "tableRow", "mergeTableCells"],
        },
        "link": {"defaultProtocol": "https://"},
    },
}

# --- Subscriber import and export -------------------------------------------------------------

# Every import runs in a transaction: a file with one bad row imports nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Logging ---------------------------------------------------------------------------------

# JSON lines on stdout, each with the id of the request it belongs to (config/logs.py); plain
# text in local runs, where a person reads them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(request_id)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env.str("LOG_FORMAT", default="text" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Every request is already one line of our own (bulletin.requests).
        "django.server": {"level": "WARNING"},
    },
}

# --- Intake (素材库) and the one client that reaches other sites (apps/core/outbound.py) ------
# Networks intake may reach besides the public internet (CIDRs, comma-separated): an intranet
# source, or 127.0.0.1/32 in the tests. Everything private is refused otherwise. A local run
# (DEBUG) reaches its own server by default: the demo's sites are served there (apps/demo).
INTAKE_ALLOWED_NETWORKS = env.str(
    "INTAKE_ALLOWED_NETWORKS", default="127.0.0.1/32" if DEBUG else ""
)
INTAKE_CONNECT_TIMEOUT = env.float("INTAKE_CONNECT_TIMEOUT", default=5)
INTAKE_TOTAL_TIMEOUT = env.float("INTAKE_TOTAL_TIMEOUT", default=20)
INTAKE_MAX_BYTES = env.int("INTAKE_MAX_BYTES", default=5 * 1024 * 1024)
INTAKE_MAX_REDIRECTS = env.int("INTAKE_MAX_REDIRECTS", default=5)
# HTTP headers are Latin-1: the institute is named in English, with its contact.
INTAKE_USER_AGENT = env.str(
    "INTAKE_USER_AGENT",
    default="XuchangBulletinIntake/1.0 (Xuchang Institute of Science and Technology "
    f"Information; {SUBSCRIPTION_CONTACT_EMAIL or SUBSCRIPTION_CONTACT_PHONE or 'intake'})",
)
# One request at a time per host, at least this many seconds apart; this many hosts at once.
INTAKE_HOST_INTERVAL = env.float("INTAKE_HOST_INTERVAL", default=1.0)
INTAKE_CONCURRENCY = env.int("INTAKE_CONCURRENCY", default=8)
# A worker's fetching round stops starting new pages after this many seconds (the next
# minute's round goes on), so a slow day never piles rounds up.
INTAKE_ROUND_SECONDS = env.int("INTAKE_ROUND_SECONDS", default=50)
# Ignored clippings are removed after this many days; clippings made into articles are kept.
INTAKE_KEEP_IGNORED_DAYS = env.int("INTAKE_KEEP_IGNORED_DAYS", default=90)
# The industry tagger is learned from the archive once this many published articles have
# industries (apps/intake/tagging.py); until then the keyword suggester tags.
INTAKE_TAGGER_MIN_ARTICLES = env.int("INTAKE_TAGGER_MIN_ARTICLES", default=60)
# The optional language model on the institute's own server (apps/intake/llm.py): an
# OpenAI-compatible chat-completions API (vLLM, Ollama, Xinference serving Qwen or GLM), e.g.
# http://10.0.0.5:8000/v1. It drafts summaries and industries only when all three are set.
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
# Internal material must not leave the institute's network: a public address is refused unless
# this is set. Private and loopback addresses, and INTAKE_ALLOWED_NETWORKS, are always allowed.
LLM_ALLOW_PUBLIC = env.bool("LLM_ALLOW_PUBLIC", default=False)
# Seconds for one answer (a model is slower than a news site); then the extractive summary.
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=30)
# The worker's once-a-minute jobs, each a task path, queued unless one is already waiting.
# Intake's round runs on its own queue, in its own thread of the worker, so mail never
# waits behind a slow news site.
WORKER_PERIODIC_TASKS = [
    "apps.notifications.schedule.periodic_jobs",
    "apps.intake.jobs.intake_round",
    "apps.insight.jobs.keep_rollups",
]

# --- Work groups (apps/push): WeCom, DingTalk and Feishu robots ------------------------------

# In development the cards are printed in the worker's console instead of posted (as the
# e-mails are), so the demo's channels need no real keys.
PUSH_CONSOLE = env.bool("PUSH_CONSOLE", default=DEBUG)
# Hosts a webhook may point to besides the vendors' own (host:port, comma-separated), over http
# or https: a relay on a government network, or the tests' loopback server. The vendors' hosts
# take https only; any other address is refused when a channel is saved (apps/push/vendors.py).
PUSH_EXTRA_HOSTS = env.str("PUSH_EXTRA_HOSTS", default="")

# --- Signed in by a tap in WeCom (企业微信网页授权, apps/push/wecom_login.py) ----------------
# The institute's WeCom internal app (自建应用): a reader who opens a bulletin link inside WeCom
# comes back from WeCom's OAuth signed in, if their WeCom account is bound to their
# subscription. Off unless all three are set; the secret never appears in a page or a log.
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_SECRET = env.str("WECOM_SECRET", default="")
# WeCom's API; a relay on a government network (or the tests' server) when PUSH_EXTRA_HOSTS
# lists its host:port. The secret is sent to no other host.
WECOM_API_BASE = env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com")
# WeCom's OAuth page, to which the reader's browser is sent (the tests' server in the tests).
WECOM_AUTHORIZE_URL = env.str(
    "WECOM_AUTHORIZE_URL", default="https://open.weixin.qq.com/connect/oauth2/authorize"
)

# --- The desk (apps/workflow): 签发, the issuing leader's sign-off -----------------------------
# Which issues go out only once a holder of the 签发 role has signed their current content:
# "leadership" (an issue with a leadership-only article), "all", or "none". A correction of a
# leadership-only article needs it too, unless "none".
SIGN_OFF_REQUIRED_FOR = env.str("SIGN_OFF_REQUIRED_FOR", default="leadership")
if SIGN_OFF_REQUIRED_FOR not in ("leadership", "all", "none"):
    raise ImproperlyConfigured("SIGN_OFF_REQUIRED_FOR must be leadership, all or none.")
# A reviewer who also holds 签发 may sign an issue they approved only when this is set.
SIGN_OFF_ALLOW_SAME_PERSON = env.bool("SIGN_OFF_ALLOW_SAME_PERSON", default=False)

# --- Insight (apps/insight): the dashboard's rollups --------------------------------------------
# Per-person readings older than this many days are deleted by the worker once rolled up; the
# totals remain.
READINGS_KEEP_DAYS = env.int("READINGS_KEEP_DAYS", default=730)
# The work report's charts are drawn by Node (apps/insight/charts.py): the program, and how
# long it may take before the PDF is made without charts.
INSIGHT_NODE = env.str("INSIGHT_NODE", default="node")
INSIGHT_CHART_TIMEOUT = env.float("INSIGHT_CHART_TIMEOUT", default=10)
