"""The counter screen, dispensing records, slip PDF, archive and fund statement."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.errors import DomainError
from core.pdf import render_pdf
from core.validators import mask_resident_id
from inventory.selectors import pharmacies_for_principal, pharmacy_of_principal
from patients.selectors import enrolments_for_patient, patients_for_principal
from prescriptions.models import DeliveryMethod, Dispensing
from prescriptions.permissions import (
    access_dispensing_for_principal,
    access_prescription_for_counter,
)
from prescriptions.selectors import (
    dispensings_for_principal,
    fund_statement,
    open_prescriptions,
    outpatient_archive,
    price_cap_for,
    quota_status,
)
from prescriptions.services import (
    LineInput,
    ProxyInput,
    delivery_record,
    dispensing_return,
    dispensing_submit,
)

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)


def _error(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    messages.error(request, str(exc) if isinstance(exc, DomainError) else "；".join(exc.messages))


@require_role(*PHARMACY_ROLES)
def counter(request: HttpRequest) -> HttpResponse:
    """One screen: find the patient by ID, see quota and open prescriptions, dispense."""
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    resident_id = request.GET.get("resident_id", "").strip().upper()
    context: dict[str, Any] = {
        "pharmacy": pharmacy,
        "resident_id": resident_id,
        # One key per rendered form: a double click or a resubmit never charges twice.
        "idempotency_key": uuid.uuid4().hex,
    }
    if resident_id:
        patient = patients_for_principal(principal).filter(resident_id=resident_id).first()
        if patient is None:
            messages.error(request, _("未找到该身份证号的特门患者，或患者未选择本店。"))
        else:
            today = timezone.localdate()
            prescriptions = open_prescriptions(patient=patient, on=today)
            caps = {
                item.pk: price_cap_for(drug_id=item.drug_id, programme=p.programme, on=today)
                for p in prescriptions
                for item in p.items.all()
            }
            context.update(
                patient=patient,
                masked_id=mask_resident_id(patient.resident_id),
                quotas=[
                    (e, quota_status(enrolment=e, on=today))
                    for e in enrolments_for_patient(patient)
                    if e.status == "active"
                ],
                prescriptions=prescriptions,
                caps=caps,
            )
    return render(request, "prescriptions/counter.html", context)


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
    back = f"{redirect('prescriptions:counter').url}?resident_id={prescription.patient.resident_id}"
    proxy = None
    if request.POST.get("is_proxy"):
        proxy = ProxyInput(
            name=request.POST.get("proxy_name", ""),
            resident_id=request.POST.get("proxy_resident_id", ""),
            purchase_list_photo=request.FILES.get("purchase_list_photo"),
        )
    try:
        paid_raw = request.POST.get("personal_paid", "").strip()
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
    pdf = render_pdf("prescriptions/slip_pdf.html", _slip_context(dispensing))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dispensing.number}.pdf"'
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
    patient = get_object_or_404(patients_for_principal(principal), pk=patient_pk)
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
        pdf = render_pdf("prescriptions/statement_pdf.html", context)
        return HttpResponse(pdf, content_type="application/pdf")
    return render(request, "prescriptions/statement.html", context)
