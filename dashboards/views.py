"""The dashboard page (what waits; for bureau roles, the charts with their tables), each
chart's SVG and each chart's numbers as xlsx. Charts and exports are for bureau roles only
(404 for anyone else) and scoped to the principal's region like the page."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.audit import audit
from accounts.models import BUREAU_ROLES
from accounts.permissions import principal_of, require_role
from accounts.principal import Principal
from core.exports import xlsx_response
from core.models import AuditAction
from dashboards.charts import CHARTS, ChartTable, bureau_charts
from dashboards.render import chart_svg
from dashboards.selectors import clock_for, waiting_for
from dashboards.supervision_charts import SUPERVISION_CHARTS, supervision_charts

# A chart opened on its own is an SVG document: its <style> element is inline (pygal's), and
# nothing else may load or run in it (no script at all; it carries none).
SVG_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "frame-ancestors": ["'none'"],
}


@require_role()
def dashboard(request: HttpRequest) -> HttpResponse:
    """What waits for the active role; bureau roles also see the charts."""
    principal = principal_of(request)
    clock = clock_for(principal)
    charts = bureau_charts(principal, clock) if principal.has_role(*BUREAU_ROLES) else []
    return render(
        request,
        "dashboards/index.html",
        {"waiting": waiting_for(principal, today=clock.today), "charts": charts},
    )


@require_role(*BUREAU_ROLES)
def supervision(request: HttpRequest) -> HttpResponse:
    """The supervision dashboard (issue 17.5): findings, open cases, risk scores and money
    refused and recovered, each chart with its table and export; bureau roles only."""
    principal = principal_of(request)
    clock = clock_for(principal)
    return render(
        request,
        "dashboards/supervision.html",
        {"charts": supervision_charts(principal, clock)},
    )


def waiting_panel(request: HttpRequest, principal: Principal) -> dict[str, Any]:
    """The home page's panel: what waits for the active role, and a link to the charts."""
    return {
        "template": "dashboards/_waiting.html",
        "waiting": waiting_for(principal),
        "charts_link": principal.has_role(*BUREAU_ROLES),
    }


def _chart(request: HttpRequest, key: str) -> ChartTable:
    build = CHARTS.get(key) or SUPERVISION_CHARTS.get(key)
    if build is None:
        raise Http404
    principal = principal_of(request)
    return build(principal, clock_for(principal))


@csp(SVG_POLICY)  # type: ignore[arg-type]  # typed for views without URL arguments
@require_role(*BUREAU_ROLES)
def chart_image(request: HttpRequest, key: str) -> HttpResponse:
    return HttpResponse(chart_svg(_chart(request, key)), content_type="image/svg+xml")


@require_role(*BUREAU_ROLES)
def chart_export(request: HttpRequest, key: str) -> HttpResponse:
    table = _chart(request, key)
    audit(request, action=AuditAction.EXPORT, detail=f"dashboard chart {key} xlsx")
    return xlsx_response(
        f"{key}.xlsx", [str(h) for h in table.headers], table.rows, title=str(table.title)
    )
