from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_keys_of_pharmacy(sender: Any, instance: Any, **kwargs: Any) -> None:
    from accounts.services import api_keys_forget

    api_keys_forget(instance.organisation_id)


class PharmaciesConfig(AppConfig):
    name = "pharmacies"
    verbose_name = _("定点药店")

    def ready(self) -> None:
        import_module("pharmacies.transitions")  # registers the HY-E01 filing workflow
        # A cached API-key lookup (accounts.services) holds its organisation's pharmacy row:
        # pharmacies drops those entries when the row changes (accounts listens to no app above).
        for signal in (post_save, post_delete):
            signal.connect(_forget_keys_of_pharmacy, sender="pharmacies.Pharmacy", weak=False)
