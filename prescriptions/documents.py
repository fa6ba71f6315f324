"""The documents of a sale and a prescription, each the same for the page and the POS API:
the settlement slip (GY-D02) and the prescription slip (处方笺, HY-F04), each download audited."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpResponse
from django.utils import timezone

from accounts.audit import audit
from core.models import AuditAction
from core.responses import pdf_response
from core.validators import mask_resident_id
from patients.models import Patient
from prescriptions.models import Dispensing, Prescription, PrescriptionSource


def audit_patient_record(
    request: Any, obj: Model, *, patient: Patient, action: str, detail: str
) -> None:
    """Record a read or download of `obj`, a record of `patient` (scoped to the patient's
    region)."""
    audit(request, action=action, obj=obj, region_id=patient.region_id, detail=detail)


def slip_response(request: Any, dispensing: Dispensing, *, via: str = "") -> HttpResponse:
    """GY-D02: the settlement slip the patient (or proxy) signs, inline; `via` names the
    channel in the audit row ("api")."""
    context = {
        "d": dispensing,
        "lines": list(dispensing.lines.select_related("drug", "batch")),
        "masked_id": mask_resident_id(dispensing.patient.resident_id),
        "proxy_masked_id": (
            mask_resident_id(dispensing.proxy_resident_id) if dispensing.is_proxy else ""
        ),
        "printed": timezone.localtime(),
    }
    response = pdf_response(
        "prescriptions/slip_pdf.html", context, f"{dispensing.number}.pdf", inline=True
    )
    audit_patient_record(
        request,
        dispensing,
        patient=dispensing.patient,
        action=AuditAction.DOCUMENT,
        detail=f"slip {dispensing.number}" + (f" ({via})" if via else ""),
    )
    return response


def prescription_context(prescription: Prescription) -> dict[str, Any]:
    """What the prescription's page and its slip show."""
    return {
        "p": prescription,
        "items": list(prescription.items.select_related("drug")),
        "masked_id": mask_resident_id(prescription.patient.resident_id),
        "valid_until": prescription.valid_until,
        "is_portal": prescription.source == PrescriptionSource.PORTAL,
    }


def prescription_slip_response(request: Any, prescription: Prescription) -> HttpResponse:
    """The prescription slip (处方笺) the patient takes to the pharmacy; shows HY-F04."""
    response = pdf_response(
        "prescriptions/prescription_pdf.html",
        {**prescription_context(prescription), "printed": timezone.localtime()},
        f"{prescription.number}.pdf",
        inline=True,
    )
    audit_patient_record(
        request,
        prescription,
        patient=prescription.patient,
        action=AuditAction.DOCUMENT,
        detail=f"prescription {prescription.number}",
    )
    return response
