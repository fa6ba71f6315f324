"""Patient pages: find a patient, see their enrolments and stays, reveal the full resident ID
under audit, choose institutions (HY-G05, HY-G06), authorise proxies (HY-G09)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import Role
from accounts.permissions import principal_of, require_role
from core.lists import Filter, list_page
from core.models import AuditAction
from patients import services
from patients.forms import ChooseForm, ProxyForm, RevealForm
from patients.models import ChoiceStatus, Enrolment, InstitutionChoice
from patients.permissions import access_patient_for_principal
from patients.selectors import ID_REVEAL_ROLES, enrolments_for_patient, patients_for_principal
from patients.views import lists
from patients.views.common import PATIENT_ROLES, run_posted, user_of
from programmes.models import InsuredType


@require_role(*PATIENT_ROLES)
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search by name or card number, or by a POSTed resident ID (a resident ID never goes in
    a URL) through its blind index, audited; the export masks the ID as the page does."""
    result = list_page(
        request,
        patients_for_principal(principal_of(request)),
        lists.patient_columns(),
        empty=_("暂无患者。"),
        search=lists.patient_search(),
        filters=[Filter("insured_type", _("参保类型"), InsuredType.choices, "insured_type")],
        default_sort="name",
        table_id="patients",
        export_name=_("特门患者"),
        on_blind_search=lists.audit_resident_id_search(request),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(request, "patients/patient_list.html", {"list": result, "table": result.table})


@require_role(*PATIENT_ROLES)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    patient = access_patient_for_principal(principal, pk)
    audit(request, action=AuditAction.RECORD_READ, obj=patient, region_id=patient.region_id)
    return _patient_detail_page(request, principal, patient)


def _with_choose_forms(patient: Any, *, can_manage: bool) -> list[Any]:
    """Each enrolment with its choice form: HY-G05 offers the pharmacies designated for the
    enrolment's programme today (one form per programme)."""
    today = timezone.localdate()
    forms: dict[int, ChooseForm] = {}
    enrolments = list(enrolments_for_patient(patient))
    for e in enrolments:
        programme_id = e.disease.programme_id
        if can_manage and programme_id not in forms:
            forms[programme_id] = ChooseForm(
                region=patient.region, programme_id=programme_id, on=today
            )
        e.choose_form = forms.get(programme_id)  # type: ignore[attr-defined]
    return enrolments


def _patient_detail_page(
    request: HttpRequest,
    principal: Any,
    patient: Any,
    *,
    revealed: str | None = None,
    reveal_form: RevealForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = principal.has_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER)
    can_reveal = principal.role in ID_REVEAL_ROLES
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "enrolments": _with_choose_forms(patient, can_manage=can_manage),
            "stays": patient.stays.select_related("hospital"),
            "proxies": patient.proxies.all(),
            "can_reveal": can_reveal,
            # Shown in this response only: never kept in the session or put in a URL.
            "revealed": revealed,
            "reveal_form": (reveal_form or RevealForm()) if can_reveal else None,
            "proxy_form": ProxyForm() if principal.has_role(Role.WINDOW_CLERK) else None,
            "choice_active": ChoiceStatus.ACTIVE,
        },
        status=status,
    )


@require_POST
@require_role(*ID_REVEAL_ROLES)
def patient_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    patient = access_patient_for_principal(principal, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():  # a reveal without a reason is refused
        return _patient_detail_page(request, principal, patient, reveal_form=form, status=400)
    full = services.patient_reveal_resident_id(
        patient=patient,
        actor=user_of(request),
        organisation=principal.organisation,
        role=principal.role or "",
        reason=form.cleaned_data["reason"],
    )
    # The number is rendered into this response (no-store) and kept nowhere else.
    return _patient_detail_page(request, principal, patient, revealed=full)


@require_POST
@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER)
def enrolment_choose(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    principal = principal_of(request)
    patient = access_patient_for_principal(principal, pk)
    enrolment = Enrolment.objects.filter(patient=patient, pk=enrolment_pk).first()
    form = ChooseForm(
        request.POST,
        region=patient.region,
        programme_id=None,  # the service decides HY-G05 and says why
        on=timezone.localdate(),
    )
    replaces = InstitutionChoice.objects.filter(
        enrolment=enrolment, pk=request.POST.get("replaces") or 0
    ).first()
    if enrolment is None:
        return redirect("patients:patient_detail", pk=pk)
    run_posted(
        request,
        form,
        lambda data: services.enrolment_choose_institution(
            enrolment=enrolment,
            organisation=data["organisation"],
            outside_institution=data["outside_institution"],
            replaces=replaces,
            actor=user_of(request),
        ),
        success=_("定点机构已选定，患者自选定之日起可在该机构购药结算。"),
    )
    return redirect("patients:patient_detail", pk=pk)


@require_POST
@require_role(Role.WINDOW_CLERK)
def proxy_create(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    patient = access_patient_for_principal(principal, pk)
    run_posted(
        request,
        ProxyForm(request.POST),
        lambda data: services.proxy_authorise(
            patient=patient,
            actor=user_of(request),
            organisation=principal.organisation,
            **data,
        ),
        success=_("代购授权已登记，代购人凭身份证在定点药店代购。"),
    )
    return redirect("patients:patient_detail", pk=pk)


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def revoked_choices(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """HY-G06: the patients of a revoked institution, to contact and move."""
    principal = principal_of(request)
    visible = patients_for_principal(principal)
    choices = (
        InstitutionChoice.objects.filter(
            organisation_id=organisation_id,
            status__in=[ChoiceStatus.REVOKED_INSTITUTION, ChoiceStatus.ENDED],
            revoked_from__isnull=False,
            enrolment__patient__in=visible,
        )
        .select_related("organisation", "enrolment__patient", "enrolment__disease")
        .order_by("enrolment__patient__name")
    )
    return render(request, "patients/revoked_choices.html", {"choices": choices})
