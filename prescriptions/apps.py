from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    name = "prescriptions"
    verbose_name = _("处方与购药")

    def ready(self) -> None:
        import_module("prescriptions.transitions")  # registers the dispensing workflow
