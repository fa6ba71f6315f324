"""Pages: parse input, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import OrganisationKind, Role, User
from accounts.permissions import principal_of, require_role
from core.crypto import blind_index
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import AuditAction
from core.responses import pdf_response
from core.uploads import missing_file_response
from patients import services
from patients.forms import (
    AssignForm,
    ChooseForm,
    DecideForm,
    DischargeForm,
    HospitalWindowForm,
    ImmediateForm,
    LodgeForm,
    MaterialForm,
    PreliminaryForm,
    ProxyForm,
    RetentionForm,
    RevealForm,
    StayForm,
    StayImportForm,
)
from patients.models import (
    ChoiceStatus,
    Enrolment,
    FilingPath,
    FilingStatus,
    HospitalStay,
    InstitutionChoice,
)
from patients.permissions import (
    STAY_ROLES,
    access_filing_for_principal,
    access_material_for_principal,
    access_patient_for_principal,
    access_retention_for_principal,
    access_roster_for_principal,
    access_stay_for_principal,
    assert_may_record_stays,
)
from patients.selectors import (
    ID_REVEAL_ROLES,
    enrolments_for_patient,
    experts_for_principal,
    filing_round_open,
    filings_for_principal,
    next_filing_round,
    patient_by_resident_id,
    patients_for_principal,
    public_hospitals,
    retentions_for_principal,
    rosters_for_principal,
)
from programmes.models import Disease, Programme

T = TypeVar("T")
FILING_ROLES = (Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.EXPERT_REVIEWER, Role.BUREAU_ADMIN)
PATIENT_ROLES = (*FILING_ROLES, Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.PHYSICIAN)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _attempt(request: HttpRequest, action: Callable[[], T], success: str) -> T | None:
    """Run one service; a refusal becomes a message shown to the user as it is."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, str(exc))
        return None
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return None
    messages.success(request, success)
    return result


def _hy() -> Programme:
    return Programme.objects.get(code="HY-TM")


# --- Filings -----------------------------------------------------------------------------------


@require_role(*FILING_ROLES)
def filing_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    filings = filings_for_principal(principal)
    status = request.GET.get("status", "")
    if status in FilingStatus.values:
        filings = filings.filter(status=status)
    hy = _hy()
    today = timezone.localdate()
    return render(
        request,
        "patients/filing_list.html",
        {
            "filings": filings[:200],
            "statuses": FilingStatus.choices,
            "status": status,
            "round_open": filing_round_open(programme=hy, on=today),
            "next_round": next_filing_round(programme=hy, on=today),
            "can_lodge": principal.has_role(Role.WINDOW_CLERK),
        },
    )


@require_role(Role.WINDOW_CLERK)
def filing_lodge(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    hy = _hy()
    today = timezone.localdate()
    diseases = Disease.objects.filter(programme=hy, is_active=True)
    initial: dict[str, Any] = {}
    found = None
    # The lookup is a POST of its own (marked "lookup"): a resident ID never goes in a URL.
    is_lookup = request.method == "POST" and "lookup" in request.POST
    lookup = request.POST.get("resident_id", "").strip() if is_lookup else ""
    if lookup:
        found = patient_by_resident_id(lookup)
        initial["resident_id"] = lookup
        if found:
            initial.update(
                name=found.name,
                insured_type=found.insured_type,
                social_security_card_no=found.social_security_card_no,
                township=found.township,
                phone=found.phone,
            )
    form = LodgeForm(
        None if is_lookup else (request.POST or None), initial=initial, diseases=diseases
    )
    if request.method == "POST" and not is_lookup and form.is_valid():
        data = form.cleaned_data

        def lodge() -> Any:
            patient = services.patient_register(
                resident_id=data["resident_id"],
                name=data["name"],
                insured_type=data["insured_type"],
                social_security_card_no=data["social_security_card_no"],
                township=data["township"],
                phone=data["phone"],
                organisation=principal.organisation,
                actor=_user(request),
            )
            return services.filing_lodge(
                patient=patient,
                disease=data["disease"],
                window=principal.organisation,
                reviewing_hospital=data["reviewing_hospital"],
                records_hospital=data["records_hospital"],
                records_hospital_level=data["records_hospital_level"],
                materials_received=data["materials_received"],
                actor=_user(request),
            )

        filing = _attempt(request, lodge, _("申报已受理。"))
        if filing is not None:
            return redirect("patients:filing_detail", pk=filing.pk)
    return render(
        request,
        "patients/filing_lodge.html",
        {
            "form": form,
            "found": found,
            "lookup": lookup,
            "round_open": filing_round_open(programme=hy, on=today),
            "next_round": next_filing_round(programme=hy, on=today),
            "immediate": diseases.filter(category="immediate"),
            "is_county": principal.organisation.kind == OrganisationKind.COUNTY_WINDOW,
        },
    )


@require_role(*FILING_ROLES)
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    audit(
        request,
        action=AuditAction.RECORD_READ,
        obj=filing,
        region_id=filing.patient.region_id,
        detail=f"filing {filing.number}",
    )
    org = principal.organisation
    ctx: dict[str, Any] = {
        "filing": filing,
        "events": filing.events.select_related("actor", "organisation"),
        "materials": filing.materials.all(),
        "material_form": MaterialForm() if principal.has_role(Role.WINDOW_CLERK) else None,
    }
    if (
        principal.has_role(Role.WINDOW_CLERK)
        and filing.status == FilingStatus.LODGED
        and filing.reviewing_hospital_id == org.pk
    ):
        ctx["preliminary_form"] = PreliminaryForm()
    if (
        principal.has_role(Role.WINDOW_CLERK)
        and filing.status == FilingStatus.LODGED
        and filing.path == FilingPath.IMMEDIATE
        and filing.window_id == org.pk
    ):
        ctx["immediate_form"] = ImmediateForm()
    if principal.has_role(Role.BENEFITS_OFFICER) and filing.status in (
        FilingStatus.ROSTERED,
        FilingStatus.ASSIGNED,
    ):
        ctx["assign_form"] = AssignForm(experts=experts_for_principal(principal))
    if (
        principal.has_role(Role.EXPERT_REVIEWER)
        and filing.status == FilingStatus.ASSIGNED
        and filing.expert_id == _user(request).pk
    ):
        ctx["decide_form"] = DecideForm(initial={"starts_on": timezone.localdate()})
    return render(request, "patients/filing_detail.html", ctx)


@require_role(*FILING_ROLES)
def filing_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_filing_for_principal(principal_of(request), pk)
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=filing,
        region_id=filing.patient.region_id,
        detail=f"filing {filing.number} receipt",
    )
    return render(request, "patients/filing_receipt.html", {"filing": filing})


@require_POST
@require_role(Role.WINDOW_CLERK)
def filing_preliminary(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = PreliminaryForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.filing_preliminary_review(
                filing=filing,
                passed=form.cleaned_data["passed"],
                reason=form.cleaned_data["reason"],
                actor=_user(request),
                organisation=principal.organisation,
            ),
            _("初审结论已记录。"),
        )
    return redirect("patients:filing_detail", pk=pk)


@require_POST
@require_role(Role.WINDOW_CLERK)
def filing_immediate(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = ImmediateForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.filing_decide_immediately(
                filing=filing,
                approve=form.cleaned_data["approve"],
                reason=form.cleaned_data["reason"],
                actor=_user(request),
                organisation=principal.organisation,
            ),
            _("已即时办理。"),
        )
    return redirect("patients:filing_detail", pk=pk)


@require_POST
@require_role(Role.BENEFITS_OFFICER)
def filing_assign(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = AssignForm(request.POST, experts=experts_for_principal(principal))
    if form.is_valid():
        _attempt(
            request,
            lambda: services.filing_assign(
                filing=filing,
                expert=form.cleaned_data["expert"],
                actor=_user(request),
                organisation=principal.organisation,
            ),
            _("已分配评审专家。"),
        )
    return redirect("patients:filing_detail", pk=pk)


@require_POST
@require_role(Role.EXPERT_REVIEWER)
def filing_decide(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = DecideForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.filing_decide(
                filing=filing,
                approve=form.cleaned_data["approve"],
                starts_on=form.cleaned_data["starts_on"],
                reason=form.cleaned_data["reason"],
                actor=_user(request),
                organisation=principal.organisation,
            ),
            _("评审决定已记录。"),
        )
    return redirect("patients:filing_detail", pk=pk)


@require_POST
@require_role(Role.WINDOW_CLERK)
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_filing_for_principal(principal_of(request), pk)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.filing_material_upload(
                filing=filing,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=_user(request),
            ),
            _("材料已上传。"),
        )
    else:
        messages.error(request, _("请选择材料类型和文件。"))
    return redirect("patients:filing_detail", pk=pk)


@require_role(*FILING_ROLES)
def material_download(request: HttpRequest, pk: int) -> HttpResponse:
    material = access_material_for_principal(principal_of(request), pk)
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=material,
        region_id=material.filing.patient.region_id,
        detail=f"filing {material.filing.number} material {material.kind}",
    )
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, ValueError):
        return missing_file_response()
    response: Any = FileResponse(handle, content_type=material.content_type)
    return cast(HttpResponse, response)


# --- Rosters -----------------------------------------------------------------------------------


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pending = None
    if principal.organisation.kind == OrganisationKind.HOSPITAL:
        pending = filings_for_principal(principal).filter(
            reviewing_hospital=principal.organisation,
            status=FilingStatus.PRELIMINARY_PASSED,
            roster__isnull=True,
        )
    rosters = rosters_for_principal(principal).annotate(filing_count=Count("filings"))
    return render(
        request, "patients/roster_list.html", {"rosters": rosters[:200], "pending": pending}
    )


@require_POST
@require_role(Role.WINDOW_CLERK)
def roster_submit(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    if principal.organisation.kind != OrganisationKind.HOSPITAL:
        return redirect("patients:roster_list")
    roster = _attempt(
        request,
        lambda: services.roster_submit(hospital=principal.organisation, actor=_user(request)),
        _("名册已报送待遇保障股。"),
    )
    if roster is not None:
        return redirect("patients:roster_detail", pk=roster.pk)
    return redirect("patients:roster_list")


def _roster_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    roster = access_roster_for_principal(principal_of(request), pk)
    filings = roster.filings.select_related("patient", "disease", "window", "expert").order_by("id")
    return {"roster": roster, "filings": filings}


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    principal = principal_of(request)
    if principal.has_role(Role.BENEFITS_OFFICER) and any(
        f.status == FilingStatus.ROSTERED for f in ctx["filings"]
    ):
        ctx["assign_form"] = AssignForm(experts=experts_for_principal(principal))
    return render(request, "patients/roster_detail.html", ctx)


@require_POST
@require_role(Role.BENEFITS_OFFICER)
def roster_assign(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    roster = access_roster_for_principal(principal, pk)
    form = AssignForm(request.POST, experts=experts_for_principal(principal))
    if form.is_valid():
        _attempt(
            request,
            lambda: services.roster_assign(
                roster=roster,
                expert=form.cleaned_data["expert"],
                actor=_user(request),
                organisation=principal.organisation,
            ),
            _("已将名册中的申报分配给评审专家。"),
        )
    return redirect("patients:roster_detail", pk=pk)


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    response = pdf_response("patients/roster_pdf.html", ctx, f"{ctx['roster'].number}.pdf")
    audit(
        request,
        action=AuditAction.EXPORT,
        obj=ctx["roster"],
        detail=f"roster {ctx['roster'].number} pdf, {len(ctx['filings'])} filings",
    )
    return response


@require_role(Role.WINDOW_CLERK, Role.BENEFITS_OFFICER, Role.BUREAU_ADMIN)
def roster_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = _roster_context(request, pk)
    headers = [
        _("申报编号"),
        _("姓名"),
        _("身份证号"),
        _("参保类型"),
        _("病种"),
        _("受理窗口"),
        _("受理日期"),
    ]
    rows = [
        [
            f.number,
            f.patient.name,
            f.patient.masked_id,
            f.patient.get_insured_type_display(),
            f.disease.name,
            f.window.name,
            f.lodged_on.isoformat(),
        ]
        for f in ctx["filings"]
    ]
    response = xlsx_response(f"{ctx['roster'].number}.xlsx", headers, rows, title=_("初审名册"))
    audit(
        request,
        action=AuditAction.EXPORT,
        obj=ctx["roster"],
        detail=f"roster {ctx['roster'].number} xlsx, {len(ctx['filings'])} filings",
    )
    return response


# --- Patients, enrolments, choices ----------------------------------------------------------------


@require_role(*PATIENT_ROLES)
def patient_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    patients = patients_for_principal(principal)
    # Searched by a POSTed form: a resident ID never goes in a URL.
    query = request.POST.get("resident_id", "").strip() if request.method == "POST" else ""
    if query:
        patients = patients.filter(resident_id_index=blind_index(query))
        # A lookup by resident ID is a read of whoever it finds (the ID itself is masked).
        audit(request, action=AuditAction.RECORD_SEARCH, detail=f"resident_id {query.upper()}")
    return render(
        request, "patients/patient_list.html", {"patients": patients[:200], "query": query}
    )


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
        actor=_user(request),
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
    if enrolment is not None and form.is_valid():
        _attempt(
            request,
            lambda: services.enrolment_choose_institution(
                enrolment=enrolment,
                organisation=form.cleaned_data["organisation"],
                outside_institution=form.cleaned_data["outside_institution"],
                replaces=replaces,
                actor=_user(request),
            ),
            _("定点机构已选定。"),
        )
    return redirect("patients:patient_detail", pk=pk)


@require_POST
@require_role(Role.WINDOW_CLERK)
def proxy_create(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    patient = access_patient_for_principal(principal, pk)
    form = ProxyForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.proxy_authorise(
                patient=patient,
                actor=_user(request),
                organisation=principal.organisation,
                **form.cleaned_data,
            ),
            _("代购授权已登记。"),
        )
    else:
        messages.error(request, _("请完整填写代购授权。"))
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


# --- Hospital stays (HY-G08) ----------------------------------------------------------------------


@require_role(*STAY_ROLES)
def stay_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    if principal.organisation.kind != OrganisationKind.HOSPITAL:
        return render(request, "patients/stay_list.html", {"stays": [], "form": None})
    form = StayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recorded = _attempt(
            request,
            lambda: services.stay_record_by_resident_id(
                resident_id=form.cleaned_data["resident_id"],
                hospital=principal.organisation,
                admitted_on=form.cleaned_data["admitted_on"],
                discharged_on=form.cleaned_data["discharged_on"],
                actor=_user(request),
            ),
            _("住院记录已登记。"),
        )
        if recorded is not None:
            return redirect("patients:stay_list")
    stays = HospitalStay.objects.filter(hospital=principal.organisation).select_related("patient")
    return render(
        request,
        "patients/stay_list.html",
        {"stays": stays[:200], "form": form, "import_form": StayImportForm()},
    )


@require_POST
@require_role(*STAY_ROLES)
def stay_import(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    assert_may_record_stays(principal)
    form = StayImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择 Excel 文件。"))
    else:
        try:
            stays = services.stays_import(
                hospital=principal.organisation,
                upload=form.cleaned_data["file"],
                actor=_user(request),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已导入 %d 条住院记录。") % len(stays))
    return redirect("patients:stay_list")


@require_POST
@require_role(*STAY_ROLES)
def stay_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    stay = access_stay_for_principal(principal, pk, write=True)
    form = DischargeForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.stay_discharge(
                stay=stay,
                hospital=principal.organisation,
                discharged_on=form.cleaned_data["discharged_on"],
                actor=_user(request),
            ),
            _("出院已登记。"),
        )
    return redirect("patients:stay_list")


# --- Retained cards (HY-E08) ----------------------------------------------------------------------


@require_role(Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.BUREAU_REVIEWER)
def retention_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    is_pharmacy = principal.organisation.kind == OrganisationKind.PHARMACY
    form = RetentionForm(request.POST or None) if is_pharmacy else None
    if request.method == "POST" and form is not None and form.is_valid():
        patient = patient_by_resident_id(form.cleaned_data["resident_id"])
        if patient is None or not patients_for_principal(principal).filter(pk=patient.pk).exists():
            messages.error(request, _("只能为选择本店的特门患者登记。"))
        elif _attempt(
            request,
            lambda: services.retention_apply(
                patient=patient,
                pharmacy=principal.organisation,
                reason_category=form.cleaned_data["reason_category"],
                application_text=form.cleaned_data["application_text"],
                actor=_user(request),
            ),
            _("已向县医保中心提交备案。"),
        ):
            return redirect("patients:retention_list")
    return render(
        request,
        "patients/retention_list.html",
        {
            "retentions": retentions_for_principal(principal)[:200],
            "form": form,
            "is_pharmacy": is_pharmacy,
            "today": timezone.localdate(),
        },
    )


@require_POST
@require_role(Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.BUREAU_REVIEWER)
def retention_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    principal = principal_of(request)
    retention = access_retention_for_principal(principal, pk)
    actor = _user(request)
    today = timezone.localdate()
    is_centre = principal.has_role(Role.BUREAU_REVIEWER)
    reason = request.POST.get("reason", "")
    actions: dict[str, Callable[[], Any]] = (
        {
            "approve": lambda: services.retention_decide(
                retention=retention, approve=True, actor=actor, reason=reason
            ),
            "refuse": lambda: services.retention_decide(
                retention=retention, approve=False, actor=actor, reason=reason
            ),
        }
        if is_centre
        else {
            "retain": lambda: services.retention_record_retained(
                retention=retention, on=today, actor=actor
            ),
            "return": lambda: services.retention_record_returned(
                retention=retention, on=today, actor=actor
            ),
        }
    )
    if action in actions:
        _attempt(request, actions[action], _("已记录。"))
    return redirect("patients:retention_list")


@require_role(Role.WINDOW_CLERK)
def hospital_window(request: HttpRequest) -> HttpResponse:
    """The hospital's own published 特门 window details (HY-F02, HY-F03)."""
    principal = principal_of(request)
    profile = getattr(principal.organisation, "tm_profile", None)
    if profile is None:  # township and county windows have no hospital window to publish
        messages.info(request, _("本机构不是特门服务医院，以下为各医院公示信息。"))
        return redirect("patients:public_hospitals")
    form = HospitalWindowForm(
        request.POST or None,
        initial={
            "window_location": profile.window_location,
            "window_phone": profile.window_phone,
            "service_hours": profile.service_hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        saved = _attempt(
            request,
            lambda: services.hospital_profile_update(
                organisation=principal.organisation, actor=_user(request), **form.cleaned_data
            ),
            _("特门窗口信息已更新，公示页同步显示。"),
        )
        if saved is not None:
            return redirect("patients:hospital_window")
    return render(request, "patients/hospital_window.html", {"form": form, "profile": profile})


# --- Public page (HY-F02, HY-F03, HY-F05) ---------------------------------------------------------


def public_hospitals_page(request: HttpRequest) -> HttpResponse:
    from accounts.models import Membership

    profiles = list(public_hospitals())
    staff = (
        Membership.objects.filter(
            organisation__in=[p.organisation for p in profiles],
            role__in=[Role.WINDOW_CLERK, Role.PHYSICIAN],
            is_active=True,
        )
        .select_related("user")
        .order_by("role", "user__full_name")
    )
    by_org: dict[int, dict[str, list[str]]] = {}
    for m in staff:
        entry = by_org.setdefault(m.organisation_id, {"window": [], "physicians": []})
        entry["window" if m.role == Role.WINDOW_CLERK else "physicians"].append(m.user.display_name)
    rows = [(p, by_org.get(p.organisation_id, {"window": [], "physicians": []})) for p in profiles]
    hy = _hy()
    return render(
        request,
        "patients/public_hospitals.html",
        {
            "rows": rows,
            "programme": hy,
            "diseases": Disease.objects.filter(programme=hy, is_active=True),
            "next_round": next_filing_round(programme=hy, on=timezone.localdate()),
        },
    )
