from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("特门患者")

    def ready(self) -> None:
        import_module("patients.transitions")  # registers the patients' workflows
