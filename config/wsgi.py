import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from core.handlers import get_wsgi_application  # noqa: E402 — after the settings module is set

application = get_wsgi_application()
