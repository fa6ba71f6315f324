import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from core.handlers import get_wsgi_application

application = get_wsgi_application()
