"""The counter screen, dispensing records, slip PDF, archive and fund statement."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import BUREAU_ROLES, Role, User
from accounts.permissions import principal_of, require_role
from core.crypto import blind_index, lookup_token, lookup_token_pk
from core.errors import DomainError, RuleViolation
from core.models import AuditAction
from core.responses import pdf_response
from core.uploads import (
    MAGIC,
    StoredFileMissing,
    missing_file_response,
    private_file_response,
    read_stored_file,
)
from core.validators import mask_resident_id, normalise_resident_id
from inventory.models import DiseaseDrug, Drug
from inventory.selectors import pharmacies_for_principal, pharmacy_of_principal
from patients.models import Enrolment, Patient
from patients.selectors import (
    enrolments_for_patient,
    outpatient_assert_covered,
    outpatient_person,
    patients_for_principal,
)
from patients.services import outpatient_person_register
from pharmacies.models import Pharmacy
from prescriptions.counter_inputs import counter_record_input, reviewer_context
from prescriptions.forms import (
    MAX_ITEMS,
    IssueForm,
    OutpatientPersonForm,
    RecordForm,
    item_formset,
)
from prescriptions.models import DeliveryMethod, Dispensing, Prescription, PrescriptionSource
from prescriptions.permissions import (
    access_dispensing_for_principal,
    access_prescription_for_counter,
    access_prescription_for_principal,
)
from prescriptions.records import delivery_record
from prescriptions.selectors import (
    counter_patients,
    dispensings_for_principal,
    fund_statement,
    open_prescriptions,
    outpatient_archive,
    outpatient_drugs,
    outpatient_programme_for_pharmacy,
    outpatient_programme_for_region,
    outpatient_status,
    prescribable_enrolments,
    prescriber_patient,
    prescription_list_for_principal,
    price_cap_for,
    quota_status,
)
from prescriptions.services import (
    ItemInput,
    LineInput,
    ProxyInput,
    dispensing_return,
    dispensing_submit,
    prescription_create,
)
from programmes.models import Disease, InsuredType, Programme

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)


def _error(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    messages.error(request, str(exc) if isinstance(exc, DomainError) else "；".join(exc.messages))


def _outpatient_lookup(
    request: HttpRequest, programme: Programme, resident_id: str
) -> tuple[Patient | None, bool]:
    """GY-PT: the covered insured person of the programme's regions; else None with a message
    saying why, and whether the pharmacist may register them (not in the portal at all)."""
    person = outpatient_person(programme=programme, resident_id=resident_id)
    if person is None:
        if Patient.objects.filter(resident_id_index=blind_index(resident_id)).exists():
            messages.error(
                request,
                _("[GY-D01] 该身份证号的参保地不在“%(p)s”统筹区，不能按普通门诊待遇结算。")
                % {"p": programme.short_name},
            )
            return None, False
        return None, True
    try:
        outpatient_assert_covered(patient=person, programme=programme)
    except RuleViolation as exc:
        messages.error(request, str(exc))
        return None, False
    return person, False


def _counter_context(
    request: HttpRequest, pharmacy: Pharmacy, resident_id: str, **extra: Any
) -> dict[str, Any]:
    principal = principal_of(request)
    context: dict[str, Any] = {
        "pharmacy": pharmacy,
        "resident_id": resident_id,
        # One key per rendered form: a double click or a resubmit never charges twice.
        "idempotency_key": uuid.uuid4().hex,
        **extra,
    }
    if not resident_id:
        return context
    today = timezone.localdate()
    patient = (
        patients_for_principal(principal).filter(resident_id_index=blind_index(resident_id)).first()
    )
    outpatient = outpatient_programme_for_pharmacy(pharmacy, today) if patient is None else None
    if patient is None and outpatient is not None:
        patient, may_register = _outpatient_lookup(request, outpatient, resident_id)
        if patient is None:
            if may_register:
                messages.info(
                    request,
                    _("平台中没有该身份证号的参保人员：核对有效身份证件后，可在下方登记。"),
                )
                context["register_form"] = OutpatientPersonForm(
                    initial={"resident_id": resident_id, "insured_type": InsuredType.EMPLOYEE}
                )
            return context
    elif patient is None:
        messages.error(request, _("未找到该身份证号的特门患者，或患者未选择本店。"))
        return context
    prescriptions = open_prescriptions(
        patient=patient, on=today, pharmacy=pharmacy, outpatient=outpatient
    )
    caps = {
        item.pk: price_cap_for(drug_id=item.drug_id, programme=p.programme, on=today)
        for p in prescriptions
        for item in p.items.all()
    }
    context.update(
        reviewer_context(
            pharmacy=pharmacy, prescriptions=prescriptions, user=request.user, on=today
        ),
        patient=patient,
        masked_id=mask_resident_id(patient.resident_id),
        token=lookup_token(patient.pk),
        prescriptions=prescriptions,
        caps=caps,
    )
    if outpatient is not None:
        context.update(
            outpatient=outpatient,
            outpatient_status=outpatient_status(patient=patient, programme=outpatient, on=today),
        )
    else:
        context["quotas"] = [
            (e, quota_status(enrolment=e, on=today))
            for e in enrolments_for_patient(patient)
            if e.status == "active"
        ]
    return context


def _looked_up_resident_id(request: HttpRequest) -> str:
    """The resident ID a page looks up: typed into a POSTed form, or named by the opaque token
    (`?p=`) of an earlier lookup. Never read from the query string: URLs end up in logs,
    browser history and Referer headers (issue 12.4)."""
    if request.method == "POST":
        return normalise_resident_id(request.POST.get("resident_id", ""))
    pk = lookup_token_pk(request.GET.get("p", ""))
    patient = Patient.objects.filter(pk=pk).only("resident_id").first() if pk else None
    return patient.resident_id if patient is not None else ""


def _continue_at(name: str, patient: Patient) -> str:
    """A page's URL continuing with this patient, by token (never the resident ID)."""
    return f"{reverse(name)}?{urlencode({'p': lookup_token(patient.pk)})}"


@require_role(*PHARMACY_ROLES)
def counter(request: HttpRequest) -> HttpResponse:
    """One screen: find the patient by ID (特门: who chose this pharmacy; GY-PT: an insured
    employee of the region, registered here when new), see quota or the year's fund use and
    the open prescriptions, dispense."""
    pharmacy = pharmacy_of_principal(principal_of(request))
    context = _counter_context(request, pharmacy, _looked_up_resident_id(request))
    patient = context.get("patient")
    if patient is not None:  # a look-up by resident ID that found someone: a record read
        audit(
            request,
            action=AuditAction.RECORD_READ,
            obj=patient,
            region_id=patient.region_id,
            detail="counter",
        )
    return render(request, "prescriptions/counter.html", context)


@require_role(*PHARMACY_ROLES)
@require_POST
def counter_register(request: HttpRequest) -> HttpResponse:
    """GY-PT: register an insured person not yet in the portal (name, resident ID, insured
    type; the region is the pharmacy's), then find them at the counter."""
    pharmacy = pharmacy_of_principal(principal_of(request))
    programme = outpatient_programme_for_pharmacy(pharmacy, timezone.localdate())
    if programme is None:
        raise Http404
    form = OutpatientPersonForm(request.POST)
    if form.is_valid():
        try:
            person = outpatient_person_register(
                programme=programme,
                organisation=pharmacy.organisation,
                resident_id=form.cleaned_data["resident_id"],
                name=form.cleaned_data["name"],
                insured_type=form.cleaned_data["insured_type"],
                actor=cast(User, request.user),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已登记参保人员 %(name)s（%(id)s）。")
                % {"name": person.name, "id": mask_resident_id(person.resident_id)},
            )
            return redirect(_continue_at("prescriptions:counter", person))
    context = {
        "pharmacy": pharmacy,
        "resident_id": normalise_resident_id(request.POST.get("resident_id", "")),
        "register_form": form,
        "idempotency_key": uuid.uuid4().hex,
    }
    return render(request, "prescriptions/counter.html", context, status=400)


def _prescription_target(
    enrolment: Enrolment | None, outpatient: Programme | None, patient: Patient | None
) -> tuple[Programme, Patient, Disease | None]:
    """What a new prescription is for: the enrolment's disease (特门), or the general-outpatient
    programme with no disease (GY-PT)."""
    if enrolment is None:
        assert outpatient is not None and patient is not None
        return outpatient, patient, None
    return enrolment.disease.programme, enrolment.patient, enrolment.disease


def _lines_from_post(request: HttpRequest, prescription_items: list[Any]) -> list[LineInput]:
    lines = []
    for item in prescription_items:
        raw_qty = request.POST.get(f"qty_{item.pk}", "").strip()
        if not raw_qty or raw_qty == "0":
            continue
        try:
            quantity = int(raw_qty)
            price = Decimal(request.POST.get(f"price_{item.pk}", "").strip())
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(_("数量或单价格式不正确。")) from exc
        codes = request.POST.get(f"codes_{item.pk}", "").split()
        lines.append(
            LineInput(
                item_id=item.pk, quantity=quantity, unit_price=price, traceability_codes=codes
            )
        )
    return lines


@require_role(*PHARMACY_ROLES)
@require_POST
def counter_dispense(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    prescription = access_prescription_for_counter(principal, pk)
    back = _continue_at("prescriptions:counter", prescription.patient)
    proxy = None
    if request.POST.get("is_proxy"):
        proxy = ProxyInput(
            name=request.POST.get("proxy_name", ""),
            resident_id=request.POST.get("proxy_resident_id", ""),
            purchase_list_photo=request.FILES.get("purchase_list_photo"),
        )
    try:
        paid_raw = request.POST.get("personal_paid", "").strip()
        reviewer_id, video = counter_record_input(request)
        dispensing = dispensing_submit(
            pharmacy=pharmacy,
            prescription=prescription,
            lines=_lines_from_post(request, list(prescription.items.all())),
            actor=request.user,  # type: ignore[arg-type]
            identity_confirmed=bool(request.POST.get("identity_confirmed")),
            patient_signed=bool(request.POST.get("patient_signed")),
            proxy=proxy,
            personal_paid=Decimal(paid_raw) if paid_raw else None,
            idempotency_key=request.POST.get("idempotency_key") or None,
            reviewer_id=reviewer_id,
            video=video,
        )
    except (DomainError, ValidationError) as exc:
        _error(request, exc)
        return redirect(back)
    except InvalidOperation:
        messages.error(request, _("实收金额格式不正确。"))
        return redirect(back)
    messages.success(
        request,
        _("结算成功：统筹基金支付 %(fund)s 元，个人负担 %(personal)s 元。")
        % {"fund": dispensing.fund_share, "personal": dispensing.personal_share},
    )
    return redirect("prescriptions:dispensing", pk=dispensing.pk)


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def dispensing_list(request: HttpRequest) -> HttpResponse:
    dispensings = dispensings_for_principal(principal_of(request))[:100]
    return render(request, "prescriptions/dispensing_list.html", {"dispensings": dispensings})


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def dispensing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispensing = access_dispensing_for_principal(principal_of(request), pk)
    return render(
        request,
        "prescriptions/dispensing_detail.html",
        {
            "d": dispensing,
            "lines": list(dispensing.lines.select_related("drug", "batch")),
            "events": list(dispensing.events.select_related("actor")),
            "delivery": getattr(dispensing, "delivery", None),
            "methods": DeliveryMethod.choices,
            "masked_id": mask_resident_id(dispensing.patient.resident_id),
        },
    )


def _slip_context(dispensing: Dispensing) -> dict[str, Any]:
    return {
        "d": dispensing,
        "lines": list(dispensing.lines.select_related("drug", "batch")),
        "masked_id": mask_resident_id(dispensing.patient.resident_id),
        "proxy_masked_id": (
            mask_resident_id(dispensing.proxy_resident_id) if dispensing.is_proxy else ""
        ),
        "printed": timezone.localtime(),
    }


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def dispensing_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """GY-D02: the settlement slip the patient (or proxy) signs."""
    dispensing = access_dispensing_for_principal(principal_of(request), pk)
    response = pdf_response(
        "prescriptions/slip_pdf.html",
        _slip_context(dispensing),
        f"{dispensing.number}.pdf",
        inline=True,
    )
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=dispensing,
        region_id=dispensing.patient.region_id,
        detail=f"slip {dispensing.number}",
    )
    return response


@require_role(*PHARMACY_ROLES)
@require_POST
def dispensing_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    dispensing = access_dispensing_for_principal(principal, pk)
    if dispensing.pharmacy.organisation_id != principal.organisation.pk:
        raise Http404
    try:
        dispensing_return(
            dispensing=dispensing,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("已退药：额度、库存和结算金额已冲回。"))
    except (DomainError, ValidationError) as exc:
        _error(request, exc)
    return redirect("prescriptions:dispensing", pk=pk)


@require_role(*PHARMACY_ROLES)
@require_POST
def delivery_create(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    dispensing = access_dispensing_for_principal(principal, pk)
    if dispensing.pharmacy.organisation_id != principal.organisation.pk:
        raise Http404
    try:
        delivery_record(
            dispensing=dispensing,
            method=request.POST.get("method", DeliveryMethod.PICKUP),
            packaging=request.POST.get("packaging", ""),
            item_list=request.POST.get("item_list", ""),
            voucher_no=request.POST.get("voucher_no", ""),
            shipped_at=timezone.now(),
            actor=request.user,  # type: ignore[arg-type]
            voucher=request.FILES.get("voucher"),
        )
        messages.success(request, _("已登记配送。"))
    except (DomainError, ValidationError) as exc:
        _error(request, exc)
    return redirect("prescriptions:dispensing", pk=pk)


@require_role(*PHARMACY_ROLES)
def archive(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """GY-A07: the patient's outpatient archive at this pharmacy."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    patient = get_object_or_404(counter_patients(principal, timezone.localdate()), pk=patient_pk)
    audit(
        request,
        action=AuditAction.RECORD_READ,
        obj=patient,
        region_id=patient.region_id,
        detail="outpatient archive",
    )
    return render(
        request,
        "prescriptions/archive.html",
        {
            "patient": patient,
            "masked_id": mask_resident_id(patient.resident_id),
            **outpatient_archive(patient=patient, pharmacy=pharmacy),
        },
    )


@require_role(Role.PHARMACY_MANAGER, *BUREAU_ROLES)
def statement(request: HttpRequest) -> HttpResponse:
    """GY-D03: the fund share owed to each pharmacy for a month."""
    today = timezone.localdate()
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    lines = fund_statement(pharmacies=pharmacies_for_principal(principal_of(request)), month=month)
    context = {"lines": lines, "month": month, "printed": timezone.localtime()}
    if request.GET.get("format") == "pdf":
        response = pdf_response(
            "prescriptions/statement_pdf.html",
            context,
            f"fund-statement-{month:%Y-%m}.pdf",
            inline=True,
        )
        audit(request, action=AuditAction.EXPORT, detail=f"fund statement {month:%Y-%m} pdf")
        return response
    return render(request, "prescriptions/statement.html", context)


# --- Prescriptions: issued by a physician, recorded at the pharmacy --------------------------

PRESCRIPTION_ROLES = (Role.PHYSICIAN, *PHARMACY_ROLES)


def _scope_drugs(enrolment: Enrolment) -> QuerySet[Drug]:
    """The disease's drug scope, the only drugs a 特门 prescription may name (HY-G10)."""
    return Drug.objects.filter(
        is_active=True,
        pk__in=DiseaseDrug.objects.filter(disease_id=enrolment.disease_id).values("drug_id"),
    ).order_by("generic_name", "insurance_code")


def _chosen_enrolment(request: HttpRequest, enrolments: list[Enrolment]) -> Enrolment | None:
    raw = request.POST.get("enrolment") or request.GET.get("enrolment") or ""
    if len(enrolments) == 1 and not raw:
        return enrolments[0]
    return next((e for e in enrolments if str(e.pk) == raw), None)


def _prescription_page(
    request: HttpRequest,
    *,
    template: str,
    patient: Patient | None,
    enrolments: list[Enrolment],
    resident_id: str,
    form_class: type[IssueForm] | type[RecordForm],
    create: Callable[[Enrolment | None, dict[str, Any], list[ItemInput]], Prescription],
    done: Callable[[Prescription], HttpResponse],
    outpatient: Programme | None = None,
) -> HttpResponse:
    """The shared flow: patient by ID → enrolment (disease and programme) → header + items.
    A general-outpatient person (GY-PT, `outpatient`) has no enrolment: the programme's drugs
    are the catalogue's drugs (GY-C02) and the prescription has no disease."""
    enrolment = None if outpatient is not None else _chosen_enrolment(request, enrolments)
    context: dict[str, Any] = {
        "resident_id": resident_id,
        "patient": patient,
        "masked_id": mask_resident_id(patient.resident_id) if patient else "",
        "token": lookup_token(patient.pk) if patient else "",
        "enrolments": enrolments,
        "enrolment": enrolment,
        "outpatient": outpatient,
        "max_items": MAX_ITEMS,
    }
    if enrolment is not None or (outpatient is not None and patient is not None):
        if enrolment is not None:
            programme = enrolment.disease.programme
            drugs = _scope_drugs(enrolment)
        else:
            assert outpatient is not None
            programme, drugs = outpatient, outpatient_drugs()
        # A lookup (the ID form) is a POST too, but submits no prescription.
        post = request.method == "POST" and "lookup" not in request.POST
        form = form_class(request.POST if post else None, request.FILES if post else None)
        formset = item_formset(request.POST if post else None, drugs)
        if post and form.is_valid() and formset.is_valid():
            try:
                prescription = create(enrolment, form.cleaned_data, formset.items())
            except (DomainError, ValidationError) as exc:
                _error(request, exc)
            else:
                return done(prescription)
        context.update(
            programme=programme,
            form=form,
            formset=formset,
            no_drugs=not drugs.exists(),
        )
    submitted = request.method == "POST" and "lookup" not in request.POST
    return render(request, template, context, status=400 if submitted else 200)


@require_role(Role.PHYSICIAN)
def prescription_issue(request: HttpRequest) -> HttpResponse:
    """A physician of a designated hospital prescribes for an enrolled patient (free of
    charge, HY-F04; days HY-E02; drug scope HY-G10)."""
    principal = principal_of(request)
    hospital = principal.organisation
    user = cast(User, request.user)
    resident_id = _looked_up_resident_id(request)
    patient = prescriber_patient(principal, resident_id) if resident_id else None
    outpatient = (
        outpatient_programme_for_region(hospital.region_id)
        if resident_id and patient is None
        else None
    )
    if outpatient is not None:
        patient, may_register = _outpatient_lookup(request, outpatient, resident_id)
        if may_register:
            messages.error(request, _("平台中没有该身份证号的参保人员，请核对身份证号。"))
    elif resident_id and patient is None:
        messages.error(request, _("未找到该身份证号的在享特门待遇患者（本院所在统筹区）。"))
    enrolments = prescribable_enrolments(patient, hospital) if patient and not outpatient else []

    def create(
        enrolment: Enrolment | None, data: dict[str, Any], items: list[ItemInput]
    ) -> Prescription:
        programme, person, disease = _prescription_target(enrolment, outpatient, patient)
        return prescription_create(
            programme=programme,
            patient=person,
            disease=disease,
            source=PrescriptionSource.PORTAL,
            kind=data["kind"],
            items=items,
            issued_on=timezone.localdate(),
            valid_days=data["valid_days"],
            actor=user,
            institution=hospital,
        )

    def done(prescription: Prescription) -> HttpResponse:
        if prescription.disease_id is None:
            messages.success(
                request,
                _(
                    "处方 %(no)s 已开具；参保人员可在有效期内自主选择门诊保障定点药店购药"
                    "（GY-D02）。"
                )
                % {"no": prescription.number},
            )
            return redirect("prescriptions:prescription", pk=prescription.pk)
        messages.success(
            request,
            _("处方 %(no)s 已开具，特门处方免费（HY-F04）；患者可在有效期内到所选定点药店购药。")
            % {"no": prescription.number},
        )
        return redirect("prescriptions:prescription", pk=prescription.pk)

    return _prescription_page(
        request,
        template="prescriptions/prescription_issue.html",
        patient=patient,
        enrolments=enrolments,
        resident_id=resident_id,
        form_class=IssueForm,
        create=create,
        done=done,
        outpatient=outpatient,
    )


@require_role(*PHARMACY_ROLES)
def prescription_record(request: HttpRequest) -> HttpResponse:
    """The pharmacy records a paper prescription (signature/seal image) or an e-prescription
    (trace code) for a patient who chose it (GY-D02), then dispenses it at the counter."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    user = cast(User, request.user)
    resident_id = _looked_up_resident_id(request)
    patient = (
        patients_for_principal(principal).filter(resident_id_index=blind_index(resident_id)).first()
        if resident_id
        else None
    )
    outpatient = (
        outpatient_programme_for_pharmacy(pharmacy, timezone.localdate())
        if resident_id and patient is None
        else None
    )
    if outpatient is not None:
        patient, may_register = _outpatient_lookup(request, outpatient, resident_id)
        if may_register:
            messages.info(request, _("平台中没有该身份证号的参保人员：请先在“配药结算”登记。"))
    elif resident_id and patient is None:
        messages.error(request, _("未找到该身份证号的特门患者，或患者未选择本店。"))
    enrolments = (
        prescribable_enrolments(patient, principal.organisation)
        if patient and outpatient is None
        else []
    )

    def create(
        enrolment: Enrolment | None, data: dict[str, Any], items: list[ItemInput]
    ) -> Prescription:
        paper = data["source"] == PrescriptionSource.PAPER
        programme, person, disease = _prescription_target(enrolment, outpatient, patient)
        return prescription_create(
            programme=programme,
            patient=person,
            disease=disease,
            source=data["source"],
            kind=data["kind"],
            items=items,
            issued_on=data["issued_on"],
            valid_days=data["valid_days"],
            actor=user,
            institution_name=data["institution_name"],
            physician_name=data["physician_name"],
            seal_image=data["seal_image"] if paper else None,
            trace_code="" if paper else data["trace_code"],
            pharmacy=pharmacy,
        )

    def done(prescription: Prescription) -> HttpResponse:
        messages.success(
            request,
            _("处方 %(no)s 已录入，请核对后配药结算。") % {"no": prescription.number},
        )
        return redirect(_continue_at("prescriptions:counter", prescription.patient))

    return _prescription_page(
        request,
        template="prescriptions/prescription_record.html",
        patient=patient,
        enrolments=enrolments,
        resident_id=resident_id,
        form_class=RecordForm,
        create=create,
        done=done,
        outpatient=outpatient,
    )


@require_role(*PRESCRIPTION_ROLES)
def prescription_list(request: HttpRequest) -> HttpResponse:
    """A hospital's issued prescriptions (the physician's own by default), a pharmacy's
    recorded or dispensed ones; each with what is left to dispense."""
    principal = principal_of(request)
    qs = prescription_list_for_principal(principal)
    mine = principal.has_role(Role.PHYSICIAN) and request.GET.get("all") != "1"
    if mine:
        qs = qs.filter(physician=cast(User, request.user))
    return render(
        request,
        "prescriptions/prescription_list.html",
        {
            "prescriptions": list(qs[:100]),
            "mine": mine,
            "is_physician": principal.has_role(Role.PHYSICIAN),
        },
    )


@require_role(*PRESCRIPTION_ROLES)
def prescription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    prescription = access_prescription_for_principal(principal, pk)
    is_pharmacy = principal.has_role(*PHARMACY_ROLES)
    dispensings = (
        list(
            prescription.dispensings.filter(
                pharmacy__organisation=principal.organisation
            ).select_related("pharmacist")
        )
        if is_pharmacy
        else []
    )
    return render(
        request,
        "prescriptions/prescription_detail.html",
        {
            "p": prescription,
            "items": list(prescription.items.select_related("drug")),
            "masked_id": mask_resident_id(prescription.patient.resident_id),
            "valid_until": prescription.issued_on + timedelta(days=prescription.valid_days - 1),
            "is_portal": prescription.source == PrescriptionSource.PORTAL,
            "is_pharmacy": is_pharmacy,
            "counter_url": (
                _continue_at("prescriptions:counter", prescription.patient) if is_pharmacy else ""
            ),
            "dispensings": dispensings,
        },
    )


@require_role(*PRESCRIPTION_ROLES)
def prescription_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The prescription slip (处方笺) the patient takes to the pharmacy; shows HY-F04."""
    prescription = access_prescription_for_principal(principal_of(request), pk)
    response = pdf_response(
        "prescriptions/prescription_pdf.html",
        {
            "p": prescription,
            "items": list(prescription.items.select_related("drug")),
            "masked_id": mask_resident_id(prescription.patient.resident_id),
            "valid_until": prescription.issued_on + timedelta(days=prescription.valid_days - 1),
            "is_portal": prescription.source == PrescriptionSource.PORTAL,
            "printed": timezone.localtime(),
        },
        f"{prescription.number}.pdf",
        inline=True,
    )
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=prescription,
        region_id=prescription.patient.region_id,
        detail=f"prescription {prescription.number}",
    )
    return response


@require_role(*PRESCRIPTION_ROLES)
def prescription_seal(request: HttpRequest, pk: int) -> HttpResponse:
    """The signature/seal image of a paper prescription, only through the access check."""
    prescription = access_prescription_for_principal(principal_of(request), pk)
    if not prescription.seal_image:
        raise Http404
    try:
        head = read_stored_file(prescription.seal_image, 8)
    except StoredFileMissing:
        return missing_file_response()
    content_type = next((t for magic, t in MAGIC if head.startswith(magic)), None)
    if content_type is None:
        raise Http404
    extension = "png" if content_type == "image/png" else "jpg"
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=prescription,
        region_id=prescription.patient.region_id,
        detail=f"prescription {prescription.number} seal image",
    )
    return private_file_response(
        prescription.seal_image, content_type, f"{prescription.number}-seal.{extension}"
    )
