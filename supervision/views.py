from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.errors import DomainError
from supervision.models import FINDING_TRANSITIONS, FindingStatus
from supervision.selectors import findings_for_principal, price_compliance_for_principal
from supervision.services import finding_transition


@require_role(*BUREAU_ROLES)
def finding_list(request: HttpRequest) -> HttpResponse:
    findings = findings_for_principal(principal_of(request))
    status = request.GET.get("status", "")
    if status in FindingStatus.values:
        findings = findings.filter(status=status)
    return render(
        request,
        "supervision/findings.html",
        {"findings": findings[:200], "statuses": FindingStatus.choices, "status": status},
    )


@require_role(*BUREAU_ROLES)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    finding = get_object_or_404(findings_for_principal(principal), pk=pk)
    moves = [
        (s, FindingStatus(s).label) for s in sorted(FINDING_TRANSITIONS.get(finding.status, ()))
    ]
    return render(
        request,
        "supervision/finding_detail.html",
        {
            "finding": finding,
            "events": finding.events.select_related("actor"),
            "moves": moves if principal.has_role(Role.BUREAU_REVIEWER) else [],
        },
    )


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def finding_move(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(findings_for_principal(principal_of(request)), pk=pk)
    try:
        finding_transition(
            finding=finding,
            to=request.POST.get("to", ""),
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("线索状态已更新。"))
    return redirect("supervision:detail", pk=pk)


@require_role(*BUREAU_ROLES)
def price_compliance(request: HttpRequest) -> HttpResponse:
    """HY-B02 / GY-C01: each pharmacy's share of sales at or below the price cap, region-wide."""
    return render(
        request,
        "supervision/price_compliance.html",
        {"tables": price_compliance_for_principal(principal_of(request))},
    )
