from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import fonts  # noqa: F401 - registers the CJK font system check
        from core.immutability import protect_append_only_tables

        # History and event tables of the apps above core become append-only once they exist.
        post_migrate.connect(protect_append_only_tables, sender=self, weak=False)
