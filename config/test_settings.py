"""Settings for the test suite: real PostgreSQL and Redis, one cache prefix and queue per worker."""

import os
import tempfile

os.environ.setdefault("DINGDIAN_TESTING", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dingdian")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# Suites may run side by side on one machine (one database name each): keep their cache keys
# and task queues apart too.
_database = os.environ["DATABASE_URL"].rsplit("/", 1)[-1].split("?")[0] or "dingdian"
_worker = f"{_database}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
os.environ.setdefault("DINGDIAN_CACHE_PREFIX", f"test-{_worker}")
# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault(
    "DINGDIAN_PRIVATE_MEDIA_ROOT",
    os.path.join(tempfile.gettempdir(), f"dingdian-test-media-{_worker}"),
)

os.environ.setdefault(
    "DINGDIAN_LOG_DIR", os.path.join(tempfile.gettempdir(), f"dingdian-test-log-{_worker}")
)

from config.settings import *  # noqa: E402,F403

CELERY_TASK_DEFAULT_QUEUE = f"dingdian-test-{_worker}"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Thousands of logins and API calls from one address within minutes: the limits' own tests
# set low rates (tests/accounts/test_throttling.py).
LOGIN_RATE_PER_ADDRESS = "100000/m"
LOGIN_RATE_GLOBAL = "100000/m"
API_KEY_RATE = "100000/min"
