from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = _("定点评估与协议")

    def ready(self) -> None:
        from accreditation.calendar_dates import (
            application_dates_recompute,
            designation_dates_recompute,
        )
        from core.services import register_date_recomputer

        import_module("accreditation.transitions")  # registers the application workflows

        register_date_recomputer(application_dates_recompute)
        register_date_recomputer(designation_dates_recompute)
