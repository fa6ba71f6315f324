"""The counter screen, dispensing records, slip PDF, archive and fund statement; the
prescription pages of a hospital's physician and of a pharmacy. Each write runs one service
through core.actions.run_service, which shows a refusal where the user looks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
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
from core.actions import confirm_page, run_service
from core.crypto import lookup_token, lookup_token_pk
from core.errors import DomainError
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
from patients.services import outpatient_person_register
from pharmacies.models import Pharmacy
from prescriptions.counter_inputs import (
    counter_record_input,
    lines_input,
    personal_paid_input,
    proxy_input,
    reviewer_context,
)
from prescriptions.documents import (
    audit_patient_record,
    prescription_context,
    prescription_slip_response,
    slip_response,
)
from prescriptions.forms import (
    MAX_ITEMS,
    IssueForm,
    OutpatientPersonForm,
    RecordForm,
    item_formset,
)
from prescriptions.list_pages import dispensing_list_page, prescription_list_page
from prescriptions.models import (
    DeliveryMethod,
    Dispensing,
    Prescription,
    PrescriptionItem,
    PrescriptionSource,
)
from prescriptions.permissions import (
    access_dispensing_for_counter,
    access_dispensing_for_principal,
    access_prescription_for_counter,
    access_prescription_for_principal,
)
from prescriptions.selectors import (
    CounterLookup,
    counter_lookup,
    counter_patients,
    fund_statement,
    open_prescriptions,
    outpatient_archive,
    outpatient_drugs,
    outpatient_programme_for_pharmacy,
    outpatient_status,
    price_cap_for,
    quota_status,
)
from prescriptions.services import (
    Quote,
    delivery_record,
    dispensing_quote,
    dispensing_return,
    dispensing_submit,
    prescription_create,
)
from programmes.models import InsuredType

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)


def _lookup(
    request: HttpRequest,
    pharmacy: Pharmacy | None,
    *,
    not_found: str,
    unregistered: str,
    level: int = messages.INFO,
) -> CounterLookup:
    """The page's lookup by resident ID (prescriptions.selectors.counter_lookup; `pharmacy`:
    its counter, None: a hospital's physician), saying why it found no one to serve: the GY-D01
    refusal, no such person in the portal (`unregistered`, at `level`), or no patient the
    caller serves (`not_found`)."""
    lookup = counter_lookup(
        principal=principal_of(request),
        resident_id=_looked_up_resident_id(request),
        on=timezone.localdate(),
        pharmacy=pharmacy,
    )
    if lookup.patient is not None or not lookup.resident_id:
        return lookup
    if lookup.refusal is not None:
        messages.error(request, str(lookup.refusal))
    elif lookup.may_register:
        messages.add_message(request, level, unregistered)
    else:
        messages.error(request, not_found)
    return lookup


@dataclass(frozen=True)
class CounterRow:
    """One item still to dispense at the counter, with the price cap that prefills its price."""

    item: PrescriptionItem
    price: Decimal | None


@dataclass(frozen=True)
class CounterCard:
    """One open prescription: its rows, or the refusal known before any line is filled in
    (`refusal`, from the settlement's own checks: prescriptions.services.quote)."""

    prescription: Prescription
    rows: list[CounterRow]
    refusal: DomainError | None = None


def _prefill_price(cap: Decimal | None) -> Decimal | None:
    """The price the row starts at: the cap to the fen, rounded down (never above the cap)."""
    return None if cap is None else cap.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _card(pharmacy: Pharmacy, prescription: Prescription, today: date) -> CounterCard:
    quote = dispensing_quote(pharmacy=pharmacy, prescription=prescription, lines=[], on=today)
    if quote.blocked:
        return CounterCard(prescription=prescription, rows=[], refusal=quote.refusal)
    rows = [
        CounterRow(
            item=item,
            price=_prefill_price(
                price_cap_for(drug_id=item.drug_id, programme=prescription.programme, on=today)
            ),
        )
        for item in prescription.items.all()
        if item.remaining
    ]
    return CounterCard(prescription=prescription, rows=rows)


def _counter_context(request: HttpRequest, pharmacy: Pharmacy) -> dict[str, Any]:
    today = timezone.localdate()
    lookup = _lookup(
        request,
        pharmacy,
        not_found=_("未找到该身份证号的特门患者，或患者未选择本店：请核对身份证号。"),
        unregistered=_("平台中没有该身份证号的参保人员：核对有效身份证件后，可在下方登记。"),
    )
    resident_id = lookup.resident_id
    context: dict[str, Any] = {
        "pharmacy": pharmacy,
        "resident_id": resident_id,
        # One key per rendered form: a double click or a resubmit never charges twice.
        "idempotency_key": uuid.uuid4().hex,
    }
    if lookup.may_register:
        context["register_form"] = OutpatientPersonForm(
            initial={"resident_id": resident_id, "insured_type": InsuredType.EMPLOYEE}
        )
    patient, outpatient = lookup.patient, lookup.outpatient
    if patient is None:
        return context
    prescriptions = open_prescriptions(
        patient=patient, on=today, pharmacy=pharmacy, outpatient=outpatient
    )
    # One card per prescription: the refusal known at lookup (HY-G08, HY-G07, HY-C06, HY-H01…)
    # instead of a form, else one row per item still to dispense, priced at its cap.
    cards = [_card(pharmacy, p, today) for p in prescriptions]
    context.update(
        reviewer_context(
            pharmacy=pharmacy, prescriptions=prescriptions, user=request.user, on=today
        ),
        patient=patient,
        masked_id=mask_resident_id(patient.resident_id),
        token=lookup_token(patient.pk),
        prescriptions=prescriptions,
        cards=cards,
        # After a look-up the cursor waits in the first quantity (a scanner types on).
        first_open_card=next((card for card in cards if card.refusal is None), None),
    )
    if outpatient is not None:
        context.update(
            outpatient=outpatient,
            outpatient_status=outpatient_status(patient=patient, programme=outpatient, on=today),
        )
    else:
        context["quotas"] = [(e, quota_status(enrolment=e, on=today)) for e in lookup.enrolments]
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
    context = _counter_context(request, pharmacy)
    patient = context.get("patient")
    if patient is not None:  # a look-up by resident ID that found someone: a record read
        audit_patient_record(
            request, patient, patient=patient, action=AuditAction.RECORD_READ, detail="counter"
        )
    return render(request, "prescriptions/counter.html", context)


def _register(request: HttpRequest, form: OutpatientPersonForm, **kwargs: Any) -> Patient | None:
    """outpatient_person_register through run_service. Its field errors still come as a
    Django ValidationError (patients' part of issue 14.3): put them on the form's fields."""
    try:
        return run_service(
            request,
            lambda: outpatient_person_register(
                resident_id=form.cleaned_data["resident_id"],
                name=form.cleaned_data["name"],
                insured_type=form.cleaned_data["insured_type"],
                **kwargs,
            ),
            form=form,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None


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
    person = None
    if form.is_valid():
        person = _register(
            request,
            form,
            programme=programme,
            organisation=pharmacy.organisation,
            actor=cast(User, request.user),
        )
    if person is not None:
        messages.success(
            request,
            _("已登记参保人员 %(name)s（%(id)s）：现在可以录入其外配处方并配药结算。")
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


@require_role(*PHARMACY_ROLES)
@require_POST
def counter_dispense(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    prescription = access_prescription_for_counter(principal, pk)

    def submit() -> Dispensing:
        reviewer_id, video = counter_record_input(request)
        return dispensing_submit(
            pharmacy=pharmacy,
            prescription=prescription,
            lines=lines_input(request, list(prescription.items.all())),
            actor=cast(User, request.user),
            identity_confirmed=bool(request.POST.get("identity_confirmed")),
            patient_signed=bool(request.POST.get("patient_signed")),
            proxy=proxy_input(request),
            personal_paid=personal_paid_input(request),
            idempotency_key=request.POST.get("idempotency_key") or None,
            reviewer_id=reviewer_id,
            video=video,
        )

    dispensing = run_service(request, submit)
    if dispensing is None:
        return redirect(_continue_at("prescriptions:counter", prescription.patient))
    messages.success(
        request,
        _(
            "结算成功：统筹基金支付 %(fund)s 元，个人负担 %(personal)s 元。"
            "请打印结算单交患者留存；送药上门或快递的，在本页登记配送。"
        )
        % {"fund": dispensing.fund_share, "personal": dispensing.personal_share},
    )
    return redirect("prescriptions:dispensing", pk=dispensing.pk)


@require_role(*PHARMACY_ROLES)
@require_POST
def counter_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """The counter form's live summary (htmx): each line and the whole sale as
    `dispensing_submit` would settle it now (prescriptions.services.quote), nothing written.
    Scoped like the counter: a prescription the pharmacy may not dispense is a 404."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    prescription = access_prescription_for_counter(principal, pk)
    items = list(prescription.items.all())
    try:
        lines = lines_input(request, items)
    except DomainError as error:
        quote = Quote(lines=[], refusal=error)
    else:
        quote = dispensing_quote(
            pharmacy=pharmacy, prescription=prescription, lines=lines, on=timezone.localdate()
        )
    return render(
        request,
        "prescriptions/_counter_summary.html",
        {"quote": quote, "prescription": prescription},
    )


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def dispensing_list(request: HttpRequest) -> HttpResponse:
    return dispensing_list_page(request)


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


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def dispensing_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """GY-D02: the settlement slip the patient (or proxy) signs."""
    return slip_response(request, access_dispensing_for_principal(principal_of(request), pk))


@require_role(*PHARMACY_ROLES)
@require_POST
def dispensing_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    dispensing = access_dispensing_for_counter(principal_of(request), pk)
    asked = confirm_page(
        request,
        action=_("退药"),
        obj=dispensing,
        consequence=_(
            "退药后本次结算作废：统筹基金支付、额度、库存和追溯码全部冲回，"
            "药品须收回入库；不能撤销。"
        ),
        back=reverse("prescriptions:dispensing", kwargs={"pk": pk}),
    )
    if asked is not None:
        return asked
    run_service(
        request,
        lambda: dispensing_return(
            dispensing=dispensing,
            actor=cast(User, request.user),
            reason=request.POST.get("reason", ""),
        ),
        success=_(
            "已退药：额度、库存、追溯码和结算金额已冲回，处方剩余数量已恢复；"
            "患者可在处方有效期内重新购药。"
        ),
    )
    return redirect("prescriptions:dispensing", pk=pk)


@require_role(*PHARMACY_ROLES)
@require_POST
def delivery_create(request: HttpRequest, pk: int) -> HttpResponse:
    dispensing = access_dispensing_for_counter(principal_of(request), pk)
    run_service(
        request,
        lambda: delivery_record(
            dispensing=dispensing,
            method=request.POST.get("method", DeliveryMethod.PICKUP),
            packaging=request.POST.get("packaging", ""),
            item_list=request.POST.get("item_list", ""),
            voucher_no=request.POST.get("voucher_no", ""),
            shipped_at=timezone.now(),
            actor=cast(User, request.user),
            voucher=request.FILES.get("voucher"),
        ),
        success=_("已登记配送：配送记录已归入该患者的门诊档案，可在档案中查阅凭证。"),
    )
    return redirect("prescriptions:dispensing", pk=pk)


@require_role(*PHARMACY_ROLES)
def archive(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """GY-A07: the patient's outpatient archive at this pharmacy."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    patient = get_object_or_404(counter_patients(principal, timezone.localdate()), pk=patient_pk)
    audit_patient_record(
        request,
        patient,
        patient=patient,
        action=AuditAction.RECORD_READ,
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


def _chosen_enrolment(request: HttpRequest, enrolments: tuple[Enrolment, ...]) -> Enrolment | None:
    raw = request.POST.get("enrolment") or request.GET.get("enrolment") or ""
    if len(enrolments) == 1 and not raw:
        return enrolments[0]
    return next((e for e in enrolments if str(e.pk) == raw), None)


# A prescription page's own arguments of prescription_create, from its header form's data.
Header = Callable[[dict[str, Any]], dict[str, Any]]


def _prescription_page(
    request: HttpRequest,
    lookup: CounterLookup,
    *,
    template: str,
    form_class: type[IssueForm] | type[RecordForm],
    header: Header,
    done: Callable[[Prescription], HttpResponse],
) -> HttpResponse:
    """The shared flow: patient by ID → enrolment (disease and programme) → header + items.
    A general-outpatient person (GY-PT, `lookup.outpatient`) has no enrolment: the
    programme's drugs are the catalogue's drugs (GY-C02) and the prescription has no disease."""
    patient, outpatient = lookup.patient, lookup.outpatient
    enrolment = None if outpatient is not None else _chosen_enrolment(request, lookup.enrolments)
    context: dict[str, Any] = {
        "resident_id": lookup.resident_id,
        "patient": patient,
        "masked_id": mask_resident_id(patient.resident_id) if patient else "",
        "token": lookup_token(patient.pk) if patient else "",
        "enrolments": lookup.enrolments,
        "enrolment": enrolment,
        "outpatient": outpatient,
        "max_items": MAX_ITEMS,
    }
    # A lookup (the ID form) is a POST too, but submits no prescription.
    post = request.method == "POST" and "lookup" not in request.POST
    if patient is not None and (enrolment is not None or outpatient is not None):
        if enrolment is not None:
            programme, disease = enrolment.disease.programme, enrolment.disease
            drugs, person = _scope_drugs(enrolment), enrolment.patient
        else:
            assert outpatient is not None
            programme, disease, drugs, person = outpatient, None, outpatient_drugs(), patient
        form = form_class(request.POST if post else None, request.FILES if post else None)
        formset = item_formset(request.POST if post else None, drugs)
        if post and form.is_valid() and formset.is_valid():
            data, items = form.cleaned_data, formset.items()
            prescription = run_service(
                request,
                lambda: prescription_create(
                    programme=programme,
                    patient=person,
                    disease=disease,
                    kind=data["kind"],
                    items=items,
                    valid_days=data["valid_days"],
                    actor=cast(User, request.user),
                    **header(data),
                ),
                form=form,
            )
            if prescription is not None:
                return done(prescription)
        context.update(programme=programme, form=form, formset=formset, no_drugs=not drugs.exists())
    return render(request, template, context, status=400 if post else 200)


@require_role(Role.PHYSICIAN)
def prescription_issue(request: HttpRequest) -> HttpResponse:
    """A physician of a designated hospital prescribes for an enrolled patient (free of
    charge, HY-F04; days HY-E02; drug scope HY-G10)."""
    principal = principal_of(request)
    lookup = _lookup(
        request,
        None,
        not_found=_("未找到该身份证号的在享特门待遇患者（本院所在统筹区）：请核对身份证号。"),
        unregistered=_("平台中没有该身份证号的参保人员，请核对身份证号。"),
        level=messages.ERROR,
    )

    def header(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "source": PrescriptionSource.PORTAL,
            "issued_on": timezone.localdate(),
            "institution": principal.organisation,
        }

    def done(prescription: Prescription) -> HttpResponse:
        if prescription.disease_id is None:
            said = _(
                "处方 %(no)s 已开具；参保人员可在有效期内自主选择门诊保障定点药店购药（GY-D02）。"
            )
        else:
            said = _(
                "处方 %(no)s 已开具，特门处方免费（HY-F04）；患者可在有效期内到所选定点药店购药。"
            )
        messages.success(request, said % {"no": prescription.number})
        return redirect("prescriptions:prescription", pk=prescription.pk)

    return _prescription_page(
        request,
        lookup,
        template="prescriptions/prescription_issue.html",
        form_class=IssueForm,
        header=header,
        done=done,
    )


@require_role(*PHARMACY_ROLES)
def prescription_record(request: HttpRequest) -> HttpResponse:
    """The pharmacy records a paper prescription (signature/seal image) or an e-prescription
    (trace code) for a patient who chose it (GY-D02), then dispenses it at the counter."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    lookup = _lookup(
        request,
        pharmacy,
        not_found=_("未找到该身份证号的特门患者，或患者未选择本店：请核对身份证号。"),
        unregistered=_("平台中没有该身份证号的参保人员：请先在“配药结算”登记。"),
    )

    def header(data: dict[str, Any]) -> dict[str, Any]:
        paper = data["source"] == PrescriptionSource.PAPER
        return {
            "source": data["source"],
            "issued_on": data["issued_on"],
            "institution_name": data["institution_name"],
            "physician_name": data["physician_name"],
            "seal_image": data["seal_image"] if paper else None,
            "trace_code": "" if paper else data["trace_code"],
            "pharmacy": pharmacy,
        }

    def done(prescription: Prescription) -> HttpResponse:
        messages.success(
            request,
            _("处方 %(no)s 已录入，请核对后配药结算。") % {"no": prescription.number},
        )
        return redirect(_continue_at("prescriptions:counter", prescription.patient))

    return _prescription_page(
        request,
        lookup,
        template="prescriptions/prescription_record.html",
        form_class=RecordForm,
        header=header,
        done=done,
    )


@require_role(*PRESCRIPTION_ROLES)
def prescription_list(request: HttpRequest) -> HttpResponse:
    return prescription_list_page(request)


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
            **prescription_context(prescription),
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
    return prescription_slip_response(request, prescription)


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
    audit_patient_record(
        request,
        prescription,
        patient=prescription.patient,
        action=AuditAction.FILE_DOWNLOAD,
        detail=f"prescription {prescription.number} seal image",
    )
    return private_file_response(
        prescription.seal_image, content_type, f"{prescription.number}-seal.{extension}"
    )
