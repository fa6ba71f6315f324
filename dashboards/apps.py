from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """What waits for each role, and the bureau's charts. The top layer: reads every app
    through its selectors and models; no app imports it."""

    name = "dashboards"
    verbose_name = _("工作台统计")

    def ready(self) -> None:
        from accounts.workspaces import register_workspace_panel
        from dashboards.views import waiting_panel

        register_workspace_panel(waiting_panel)
