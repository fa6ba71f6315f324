from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("进销存")

    def ready(self) -> None:
        # HY-E06 daily scan (open quarter stocktakes, remind, escalate); registered here so
        # the app brings its own schedule (django-celery-beat stores it, admins may retime it).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "inventory-stocktakes-scan",
            {"task": "inventory.stocktakes_scan", "schedule": timedelta(hours=24)},
        )
