"""Filing pages: the window lodges (HY-G01–G04), the hospital reviews first (HY-F01), the
county centre decides the immediate diseases, the bureau assigns experts who decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import OrganisationKind, Role
from accounts.permissions import principal_of, require_role
from accounts.principal import Principal
from core.actions import confirm_and_run, run_service
from core.lists import list_page
from core.models import AuditAction
from core.responses import pdf_response
from core.uploads import missing_file_response
from patients import services
from patients.forms import (
    AssignForm,
    DecideForm,
    ImmediateForm,
    LodgeForm,
    MaterialForm,
    PreliminaryForm,
)
from patients.models import Filing, FilingPath, FilingStatus
from patients.permissions import access_filing_for_principal, access_material_for_principal
from patients.selectors import (
    experts_for_principal,
    filing_programme_for,
    filing_round_open,
    filings_for_principal,
    next_filing_round,
    patient_by_resident_id,
)
from patients.views import filing_batch, lists
from patients.views.common import FILING_ROLES, run_posted, user_of
from programmes.models import Disease, DiseaseCategory


def _round(principal: Principal) -> dict[str, Any]:
    """HY-G04: whether the region's programme takes normal filings today, and the next round."""
    programme = filing_programme_for(principal)
    today = timezone.localdate()
    if programme is None:
        return {"round_open": False, "next_round": None}
    return {
        "round_open": filing_round_open(programme=programme, on=today),
        "next_round": next_filing_round(programme=programme, on=today),
    }


@require_role(*FILING_ROLES)
def filing_list(request: HttpRequest) -> HttpResponse:
    """Search (patient name, filing number; a resident ID POSTed, found by its blind index and
    audited), filters, sort, pagination and the xlsx of what is filtered (core.lists)."""
    principal = principal_of(request)
    filings = filings_for_principal(principal)
    result = list_page(
        request,
        filings,
        [*filing_batch.batch_column(request, principal), *lists.filing_columns()],
        empty=_("暂无申报。"),
        search=lists.filing_search(),
        filters=lists.filing_filters(principal, filings),
        default_sort="-lodged_on",
        table_id="filings",
        export_name=_("特门申报"),
        on_blind_search=lists.audit_resident_id_search(request),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "patients/filing_list.html",
        {
            "list": result,
            "table": result.table,
            "batch": filing_batch.batch_for(request, principal),
            "batch_url": reverse("patients:filing_batch"),
            "can_lodge": principal.has_role(Role.WINDOW_CLERK),
            **_round(principal),
        },
    )


def _looked_up(request: HttpRequest) -> tuple[bool, str, Any, dict[str, Any]]:
    """The lookup is a POST of its own (marked "lookup"): a resident ID never goes in a URL.
    Returns (is a lookup, the ID looked up, the patient found, the form's initial data)."""
    is_lookup = request.method == "POST" and "lookup" in request.POST
    lookup = request.POST.get("resident_id", "").strip() if is_lookup else ""
    found = patient_by_resident_id(lookup) if lookup else None
    initial: dict[str, Any] = {"resident_id": lookup} if lookup else {}
    if found:
        initial.update(
            name=found.name,
            insured_type=found.insured_type,
            social_security_card_no=found.social_security_card_no,
            township=found.township,
            phone=found.phone,
        )
    return is_lookup, lookup, found, initial


def _lodge(request: HttpRequest, principal: Principal, data: dict[str, Any]) -> Filing:
    return services.filing_lodge(
        patient=services.PatientDetails.of(data),
        disease=data["disease"],
        window=principal.organisation,
        reviewing_hospital=data["reviewing_hospital"],
        records_hospital=data["records_hospital"],
        records_hospital_level=data["records_hospital_level"],
        materials_received=data["materials_received"],
        actor=user_of(request),
    )


@require_role(Role.WINDOW_CLERK)
def filing_lodge(request: HttpRequest) -> HttpResponse:
    """The window takes down the person and the filing; the diseases are those of the
    programme of the window's region."""
    principal = principal_of(request)
    programme = filing_programme_for(principal)
    diseases = Disease.objects.filter(programme=programme, is_active=True)
    is_lookup, lookup, found, initial = _looked_up(request)
    form = LodgeForm(
        None if is_lookup else (request.POST or None), initial=initial, diseases=diseases
    )
    if request.method == "POST" and not is_lookup and form.is_valid():
        filing = run_service(
            request,
            lambda: _lodge(request, principal, form.cleaned_data),
            success=_("申报已受理。可打印受理回执交给患者；普通病种待初审医院初审。"),
            form=form,
        )
        if filing is not None:
            return redirect("patients:filing_detail", pk=filing.pk)
    return render(
        request,
        "patients/filing_lodge.html",
        {
            "form": form,
            "found": found,
            "lookup": lookup,
            "immediate_names": "、".join(
                d.name for d in diseases.filter(category=DiseaseCategory.IMMEDIATE)
            ),
            "is_county": principal.organisation.kind == OrganisationKind.COUNTY_WINDOW,
            **_round(principal),
        },
    )


def _detail_forms(request: HttpRequest, principal: Principal, filing: Filing) -> dict[str, Any]:
    """The forms of the moves this principal may make on the filing now."""
    org = principal.organisation
    clerk = principal.has_role(Role.WINDOW_CLERK)
    lodged = filing.status == FilingStatus.LODGED
    forms: dict[str, Any] = {"material_form": MaterialForm() if clerk else None}
    if clerk and lodged and filing.reviewing_hospital_id == org.pk:
        forms["preliminary_form"] = PreliminaryForm()
    if clerk and lodged and filing.path == FilingPath.IMMEDIATE and filing.window_id == org.pk:
        forms["immediate_form"] = ImmediateForm()
    if principal.has_role(Role.BENEFITS_OFFICER) and filing.status in (
        FilingStatus.ROSTERED,
        FilingStatus.ASSIGNED,
    ):
        forms["assign_form"] = AssignForm(experts=experts_for_principal(principal))
    if (
        principal.has_role(Role.EXPERT_REVIEWER)
        and filing.status == FilingStatus.ASSIGNED
        and filing.expert_id == user_of(request).pk
    ):
        forms["decide_form"] = DecideForm(initial={"starts_on": timezone.localdate()})
    return forms


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
    ctx: dict[str, Any] = {
        "filing": filing,
        "events": filing.events.select_related("actor", "organisation"),
        "materials": filing.materials.all(),
        **_detail_forms(request, principal, filing),
    }
    return render(request, "patients/filing_detail.html", ctx)


# A filing that has its decision gets a 结果告知书 (notice of the result), the others a 受理回执.
DECIDED = (FilingStatus.APPROVED, FilingStatus.REJECTED, FilingStatus.PRELIMINARY_REJECTED)


def _audit_receipt(request: HttpRequest, filing: Filing, kind: str) -> None:
    """A receipt handed out is audited as a document, after it was made."""
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=filing,
        region_id=filing.patient.region_id,
        detail=f"filing {filing.number} {kind}",
    )


@require_role(*FILING_ROLES)
def filing_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_filing_for_principal(principal_of(request), pk)
    ctx = {"filing": filing, "decided": filing.status in DECIDED}
    response = render(request, "patients/filing_receipt.html", ctx)
    _audit_receipt(request, filing, "receipt")
    return response


@require_role(*FILING_ROLES)
def filing_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt (or notice of the result) as a PDF in the house layout, for the same
    people as the page (404 for the others)."""
    filing = access_filing_for_principal(principal_of(request), pk)
    decided = filing.status in DECIDED
    title = _("特门申报结果告知书") if decided else _("特门申报受理回执")
    response = pdf_response(
        "patients/pdf/filing_receipt.html",
        {"filing": filing, "decided": decided, "printed": timezone.localtime()},
        f"{title}-{filing.number}.pdf",
    )
    _audit_receipt(request, filing, "receipt pdf")
    return response


def _back(pk: int) -> str:
    return reverse("patients:filing_detail", kwargs={"pk": pk})


def _decided(
    request: HttpRequest,
    filing: Filing,
    form: forms.Form,
    run: Callable[[dict[str, Any]], object],
    *,
    action: str | Promise,
    key: str,
    yes: str | Promise,
    no: str | Promise,
    success: str | Promise,
) -> HttpResponse:
    """A filing's irreversible decision (`key` in the form: passed/approve): confirmed with the
    consequence of the outcome chosen, then run; back to the filing."""
    asked = confirm_and_run(
        request,
        form,
        run,
        action=action,
        obj=filing,
        consequence=lambda d: yes if d[key] else no,
        back=_back(filing.pk),
        success=success,
    )
    return asked or redirect("patients:filing_detail", pk=filing.pk)


@require_POST
@require_role(Role.WINDOW_CLERK)
def filing_preliminary(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = PreliminaryForm(request.POST)
    return _decided(
        request,
        filing,
        form,
        lambda data: services.filing_preliminary_review(
            filing=filing,
            passed=data["passed"],
            reason=data["reason"],
            actor=user_of(request),
            organisation=principal.organisation,
        ),
        action=_("初审"),
        key="passed",
        yes=_("初审通过后，申报将列入初审名册，报送医保局评审；结论不能撤销。"),
        no=_("初审不通过，申报随之终结，请告知患者不通过的意见；结论不能撤销。"),
        success=_(
            "初审结论已记录。初审通过的申报请在“初审名册”中报送医保局；"
            "不通过的申报已终结，请告知患者意见。"
        ),
    )


@require_POST
@require_role(Role.WINDOW_CLERK)
def filing_immediate(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = ImmediateForm(request.POST)
    return _decided(
        request,
        filing,
        form,
        lambda data: services.filing_decide_immediately(
            filing=filing,
            approve=data["approve"],
            reason=data["reason"],
            actor=user_of(request),
            organisation=principal.organisation,
        ),
        action=_("即时办理"),
        key="approve",
        yes=_("即时办理通过后，患者今天起享受待遇；结论不能撤销。"),
        no=_("即时办理不通过，申报随之终结，请告知患者不通过的意见；结论不能撤销。"),
        success=_("已即时办理，结论见下方；通过的患者今天起享受待遇，可选择定点机构。"),
    )


@require_POST
@require_role(Role.BENEFITS_OFFICER)
def filing_assign(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    run_posted(
        request,
        AssignForm(request.POST, experts=experts_for_principal(principal)),
        lambda data: services.filing_assign(
            filing=filing,
            expert=data["expert"],
            actor=user_of(request),
            organisation=principal.organisation,
        ),
        success=_("已分配评审专家，专家已收到评审通知。"),
    )
    return redirect("patients:filing_detail", pk=pk)


@require_POST
@require_role(Role.EXPERT_REVIEWER)
def filing_decide(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    filing = access_filing_for_principal(principal, pk)
    form = DecideForm(request.POST)
    return _decided(
        request,
        filing,
        form,
        lambda data: services.filing_decide(
            filing=filing,
            approve=data["approve"],
            starts_on=data["starts_on"],
            reason=data["reason"],
            actor=user_of(request),
            organisation=principal.organisation,
        ),
        action=_("评审决定"),
        key="approve",
        yes=_("评审通过后，患者自待遇开始日期起享受待遇，受理窗口将收到通知；结论不能撤销。"),
        no=_("评审不通过，申报随之终结，受理窗口将收到通知并告知患者；结论不能撤销。"),
        success=_("评审决定已记录，受理窗口已收到通知，可打印结论告知患者。"),
    )


@require_POST
@require_role(Role.WINDOW_CLERK)
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_filing_for_principal(principal_of(request), pk)
    run_posted(
        request,
        MaterialForm(request.POST, request.FILES),
        lambda data: services.filing_material_upload(
            filing=filing, kind=data["kind"], upload=data["file"], actor=user_of(request)
        ),
        success=_("材料已上传，列在本页“申报材料”中。"),
    )
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
