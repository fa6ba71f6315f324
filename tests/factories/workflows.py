"""One maker per registered workflow (core.transitions): each returns a saved instance of the
workflow's model, in any state; tests/core/test_transitions.py puts it in every state in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models

from accreditation.models import Application, Designation, DesignationStatus
from prescriptions.models import Dispensing, Prescription, PrescriptionSource


def _application() -> Application:
    from tests.accreditation.helpers import draft, hy, manager_of, pharmacy

    p = pharmacy()
    return draft(p, hy(), manager_of(p))


def _designation() -> Designation:
    application = _application()
    return Designation.objects.create(
        pharmacy=application.pharmacy,
        programme=application.programme,
        application=application,
        status=DesignationStatus.ACTIVE,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )


def _dispensing() -> Dispensing:
    """A settled sale of the prescriptions world (its pharmacy, patient and pharmacist); the
    rows only: the walk moves its status, not its quota or stock."""
    from tests.prescriptions.helpers import world

    w = world()
    prescription = Prescription.objects.create(
        number="CF-WALK",
        programme=w.hy,
        patient=w.patient,
        disease=w.enrolment.disease,
        source=PrescriptionSource.PORTAL,
        institution_name="衡阳县人民医院",
        physician_name="张医生",
        issued_on=date(2027, 5, 3),
        valid_days=3,
        recorded_by=w.physician,
    )
    return Dispensing.objects.create(
        number="JS-WALK",
        pharmacy=w.pharmacy,
        programme=w.hy,
        patient=w.patient,
        disease=w.enrolment.disease,
        enrolment=w.enrolment,
        prescription=prescription,
        pharmacist=w.pharmacist,
        dispensed_at=datetime(2027, 5, 3, 2, 0, tzinfo=UTC),
        total=Decimal("19.00"),
        fund_share=Decimal("13.30"),
        personal_share=Decimal("5.70"),
    )


# Workflow label ("app_label.Model") → maker. A registered workflow without a maker fails the
# transition test: add one here when you register a workflow.
MAKERS: dict[str, Callable[[], models.Model]] = {
    "accreditation.Application": _application,
    "accreditation.Designation": _designation,
    "prescriptions.Dispensing": _dispensing,
}
