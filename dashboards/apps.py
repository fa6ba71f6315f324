from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """What waits for each role, and the bureau's charts. The top layer: reads every app
    through its selectors and models; no app imports it."""

    name = "dashboards"
    verbose_name = _("工作台统计")
