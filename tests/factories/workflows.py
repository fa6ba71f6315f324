"""One maker per registered workflow (core.transitions): each returns a saved instance of the
workflow's model, in any state; tests/core/test_transitions.py puts it in every state in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models

from accreditation.models import Application, Designation, DesignationStatus
from inventory.models import Stocktake
from patients.models import CardRetention, Enrolment, Filing, InstitutionChoice, RetentionReason
from pharmacies.models import StaffMember
from prescriptions.models import Dispensing, Prescription, PrescriptionSource
from tests.factories import member


def _application() -> Application:
    from tests.factories.accreditation import draft, hy, manager_of, pharmacy

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


def _finding() -> models.Model:
    from accounts.models import Organisation, OrganisationKind
    from supervision.models import FindingKind
    from supervision.services import finding_raise
    from tests.factories import region

    organisation = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="线索测试药房", region=region()
    )
    finding, _ = finding_raise(
        rule_id="HY-E06",
        organisation=organisation,
        kind=FindingKind.OTHER,
        summary="walk",
        dedupe_key=f"walk-{organisation.pk}",
    )
    return finding


def _filing() -> Filing:
    from tests.factories.patients import ALL_MATERIALS, clerk, disease, hospital, patient

    window = hospital()
    return Filing.objects.create(
        number="TM-WALK",
        patient=patient(),
        disease=disease(),
        path="round",
        window=window,
        reviewing_hospital=window,
        records_hospital=window.name,
        records_hospital_level="2",
        materials_received=ALL_MATERIALS,
        lodged_by=clerk(window),
        lodged_on=date(2026, 4, 8),
    )


def _enrolment() -> Enrolment:
    filing = _filing()
    return Enrolment.objects.create(
        patient=filing.patient, disease=filing.disease, filing=filing, starts_on=date(2026, 5, 1)
    )


def _choice() -> InstitutionChoice:
    enrolment = _enrolment()
    return InstitutionChoice.objects.create(
        enrolment=enrolment, organisation=enrolment.filing.window, chosen_on=date(2026, 5, 6)
    )


def _retention() -> CardRetention:
    from tests.factories.patients import patient, pharmacy_org

    pharmacy = pharmacy_org("衡阳县康民大药房")
    return CardRetention.objects.create(
        patient=patient(),
        pharmacy=pharmacy,
        reason_category=RetentionReason.IMMOBILE,
        application_text="本人行动不便",
        applied_by=member("pharmacy_manager", organisation=pharmacy),
    )


def _staff_filing() -> StaffMember:
    from tests.factories.accreditation import pharmacy

    staff = pharmacy().staff.filter(licensed_pharmacist=True).first()
    assert staff is not None  # the helper's pharmacy has two licensed pharmacists
    return staff


def _stocktake() -> Stocktake:
    from tests.factories.accreditation import hy, pharmacy

    return Stocktake.objects.create(
        pharmacy=pharmacy(),
        programme=hy(),
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        due_on=date(2026, 7, 10),
    )


def _dispensing() -> Dispensing:
    """A settled sale of the prescriptions world (its pharmacy, patient and pharmacist); the
    rows only: the walk moves its status, not its quota or stock."""
    from tests.factories.prescriptions import world

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
def _case() -> models.Model:
    from tests.factories.prescriptions import world
    from tests.factories.supervision import case_on

    return case_on(world())


MAKERS: dict[str, Callable[[], models.Model]] = {
    "accreditation.Application": _application,
    "accreditation.Designation": _designation,
    "supervision.Finding": _finding,
    "supervision.InspectionCase": _case,
    "patients.CardRetention": _retention,
    "patients.Enrolment": _enrolment,
    "patients.Filing": _filing,
    "patients.InstitutionChoice": _choice,
    "pharmacies.StaffMember": _staff_filing,
    "inventory.Stocktake": _stocktake,
    "prescriptions.Dispensing": _dispensing,
}
