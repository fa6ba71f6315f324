"""The bureau's rules page (issue 17.1): the engine's rules with their last run and hits, a dry
run over a chosen period (writes nothing), and for admins: on/off and thresholds, with a reason."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import BUREAU_ROLES, Organisation, Role
from accounts.permissions import principal_of, require_role
from accounts.selectors import region_ids_for_principal
from core.actions import confirm_page, run_service
from programmes.selectors import programmes_for_principal
from supervision.engine import parameters_of, rule_rows, rules_dry_run
from supervision.rule_services import rule_enable, rule_parameters_set
from supervision.rules import RULES
from supervision.selectors import findings_for_principal


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _dry_run(request: HttpRequest) -> dict[str, Any]:
    start, until = _day(request.GET.get("from")), _day(request.GET.get("until"))
    if start is None or until is None or until < start:
        return {"ran": False}
    tz = timezone.get_current_timezone()
    period = (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz),
    )
    organisations = set(
        Organisation.objects.filter(
            region_id__in=region_ids_for_principal(principal_of(request))
        ).values_list("pk", flat=True)
    )
    names = dict(Organisation.objects.filter(pk__in=organisations).values_list("pk", "name"))
    hits = rules_dry_run(period=period, organisation_ids=organisations)
    return {
        "ran": True,
        "start": start,
        "until": until,
        "hits": [(hit, names.get(hit.organisation_id, "")) for hit in hits],
    }


@require_role(*BUREAU_ROLES)
def rule_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    rows = rule_rows()
    counts = dict(
        findings_for_principal(principal)
        .values_list("rule_id")
        .annotate(n=Count("id"))
        .values_list("rule_id", "n")
    )
    is_admin = principal.has_role(Role.BUREAU_ADMIN)
    programmes = list(programmes_for_principal(principal)) if is_admin else []
    rules = []
    for rule_id in sorted(RULES):
        rule = RULES[rule_id]
        parameters = parameters_of(rule)
        thresholds = [(p, parameters(p.pk)) for p in programmes] if rule.defaults else []
        rules.append((rule, rows[rule_id], counts.get(rule_id, 0), thresholds))
    return render(
        request,
        "supervision/rules.html",
        {"rules": rules, "is_admin": is_admin, "dry": _dry_run(request)},
    )


@require_POST
@require_role(Role.BUREAU_ADMIN)
def rule_toggle(request: HttpRequest, rule_id: str) -> HttpResponse:
    if rule_id not in RULES:
        raise Http404
    enabled = request.POST.get("enabled") == "1"
    if not enabled and request.POST.get("reason", "").strip():
        asked = confirm_page(
            request,
            action=_("停用规则"),
            obj=f"{rule_id} {RULES[rule_id].description}",
            consequence=_(
                "停用后，定时扫描不再按此规则提出核查线索（覆盖本系统所有区划），直到重新启用；"
                "已提出的线索不受影响。"
            ),
            back=reverse("supervision:rules"),
        )
        if asked is not None:
            return asked
    run_service(
        request,
        lambda: rule_enable(
            rule_id=rule_id,
            enabled=enabled,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        ),
        success=_("规则已启用：下次定时扫描起按此规则提出核查线索。")
        if enabled
        else _("规则已停用：定时扫描不再按此规则提出线索；可随时在本页重新启用。"),
    )
    return redirect("supervision:rules")


@require_POST
@require_role(Role.BUREAU_ADMIN)
def rule_parameters(request: HttpRequest, rule_id: str, programme_pk: int) -> HttpResponse:
    if rule_id not in RULES:
        raise Http404
    programme = get_object_or_404(programmes_for_principal(principal_of(request)), pk=programme_pk)
    run_service(
        request,
        lambda: rule_parameters_set(
            programme=programme,
            rule_id=rule_id,
            values={name: request.POST.get(name) for name in RULES[rule_id].defaults},
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        ),
        success=_("规则参数已保存，修改记录已留存。"),
    )
    return redirect("supervision:rules")
