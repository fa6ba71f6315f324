from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("进销存")

    def ready(self) -> None:
        from core.services import register_date_recomputer
        from inventory.calendar_dates import stocktake_due_dates_recompute

        import_module("inventory.transitions")  # registers the stocktake workflow

        register_date_recomputer(stocktake_due_dates_recompute)
