"""Retained social-security card pages (HY-E08): the pharmacy files the patient's written
application, the county centre approves or refuses it beforehand, the pharmacy records the
card retained and returned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import OrganisationKind, Role
from accounts.permissions import principal_of, require_role
from core.actions import confirm_page, run_service
from core.lists import list_page
from patients import services
from patients.forms import RetentionForm
from patients.models import CardRetention
from patients.permissions import access_retention_for_principal
from patients.selectors import (
    patient_by_resident_id,
    patients_for_principal,
    retentions_for_principal,
)
from patients.views import lists
from patients.views.common import user_of

RETENTION_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.BUREAU_REVIEWER)


@require_role(*RETENTION_ROLES)
def retention_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    is_pharmacy = principal.organisation.kind == OrganisationKind.PHARMACY
    searching = request.method == "POST" and "blind_q" in request.POST
    form = RetentionForm(None if searching else (request.POST or None)) if is_pharmacy else None
    if request.method == "POST" and form is not None and form.is_valid():
        patient = patient_by_resident_id(form.cleaned_data["resident_id"])
        if patient is None or not patients_for_principal(principal).filter(pk=patient.pk).exists():
            form.add_error("resident_id", _("只能为选择本店的特门患者登记。"))
        elif run_service(
            request,
            lambda: services.retention_apply(
                patient=patient,
                pharmacy=principal.organisation,
                reason_category=form.cleaned_data["reason_category"],
                application_text=form.cleaned_data["application_text"],
                actor=user_of(request),
            ),
            success=_("已向县医保中心提交备案，中心同意后方可留存社保卡。"),
            form=form,
        ):
            return redirect("patients:retention_list")
    result = list_page(
        request,
        retentions_for_principal(principal),
        lists.retention_columns(),
        empty=_("暂无。"),
        search=lists.retention_search(),
        filters=lists.retention_filters(),
        default_sort="-applied_at",
        table_id="retentions",
        export_name=_("留存社保卡台账"),
        on_blind_search=lists.audit_resident_id_search(request),
    )
    if isinstance(result, HttpResponse):
        return result
    objects = result.table.page.object_list if result.table.page else []
    return render(
        request,
        "patients/retention_list.html",
        {
            "list": result,
            "table": result.table,
            "rows": list(zip(result.table.rows, objects, strict=True)),
            "form": form,
            "is_pharmacy": is_pharmacy,
            "today": timezone.localdate(),
        },
    )


Act = Callable[[CardRetention, Any, str], Any]
# (service, what happened and what comes next, the consequence asked to confirm or None)
Action = tuple[Act, Promise, Promise | None]
# The moves, by who makes them: the centre decides, the pharmacy keeps the register.
CENTRE_ACTIONS: dict[str, Action] = {
    "approve": (
        lambda r, actor, reason: services.retention_decide(
            retention=r, approve=True, actor=actor, reason=reason
        ),
        gettext_lazy("已同意留存，药店可登记留存社保卡。"),
        gettext_lazy("同意后药店将收到通知，可留存该患者的社保卡；决定不能撤销。"),
    ),
    "refuse": (
        lambda r, actor, reason: services.retention_decide(
            retention=r, approve=False, actor=actor, reason=reason
        ),
        gettext_lazy("已不同意留存，药店不能留存该患者的社保卡。"),
        gettext_lazy("不同意后药店将收到通知，不能留存该患者的社保卡；决定不能撤销。"),
    ),
}
PHARMACY_ACTIONS: dict[str, Action] = {
    "retain": (
        lambda r, actor, reason: services.retention_record_retained(
            retention=r, on=timezone.localdate(), actor=actor
        ),
        gettext_lazy("已登记留存社保卡；归还患者时请登记归还。"),
        None,
    ),
    "return": (
        lambda r, actor, reason: services.retention_record_returned(
            retention=r, on=timezone.localdate(), actor=actor
        ),
        gettext_lazy("已登记社保卡归还患者，本次留存办结。"),
        None,
    ),
}


@require_POST
@require_role(*RETENTION_ROLES)
def retention_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    principal = principal_of(request)
    retention = access_retention_for_principal(principal, pk)
    actions = CENTRE_ACTIONS if principal.has_role(Role.BUREAU_REVIEWER) else PHARMACY_ACTIONS
    if action not in actions:
        raise Http404
    act, success, consequence = actions[action]
    if consequence is not None:
        asked = confirm_page(
            request,
            action=_("同意留存") if action == "approve" else _("不同意留存"),
            obj=retention,
            consequence=consequence,
            back=reverse("patients:retention_list"),
        )
        if asked is not None:
            return asked
    reason = request.POST.get("reason", "")
    run_service(request, lambda: act(retention, user_of(request), reason), success=success)
    return redirect("patients:retention_list")
