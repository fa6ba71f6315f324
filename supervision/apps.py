from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("监管")

    def ready(self) -> None:
        import_module("supervision.transitions")  # registers the finding workflow
        # The findings metric of the yearly assessment sheet (HY-E09).
        import_module("supervision.assessment_metrics").register()
