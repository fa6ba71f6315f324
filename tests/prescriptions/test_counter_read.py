"""The counter's one read (`counter_read`, SQL compiled once per process) answers what each
selector answers on its own, for sales that are allowed and for every kind of refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import time_machine

from accounts.models import Membership, User
from accounts.principal import Principal
from accreditation.models import Designation
from accreditation.selectors import pharmacy_may_settle
from patients.models import (
    ChoiceStatus,
    Enrolment,
    EnrolmentStatus,
    HospitalStay,
    InstitutionChoice,
)
from patients.selectors import (
    enrolment_for,
    patient_hospitalised_on,
    patients_for_principal,
    settling_choices,
)
from prescriptions.models import Dispensing, Prescription, PrescriptionKind
from prescriptions.selectors import (
    counter_prescriptions_q,
    counter_read,
    on_duty_memberships,
    prescriber_memberships,
)
from tests.factories.patients import hospital
from tests.factories.prescriptions import MAY, World, world

pytestmark = pytest.mark.django_db
ON = date(2027, 5, 10)


def by_selectors(w: World, prescription: Prescription, key: str, username: str) -> dict[str, Any]:
    """Each answer from its own selector (the ORM, compiled on every call)."""
    org = w.pharmacy.organisation
    disease = prescription.disease
    assert disease is not None
    enrolment = enrolment_for(prescription.patient, disease)
    member = on_duty_memberships(organisation=org, username=username).first()
    done = Dispensing.objects.filter(pharmacy=w.pharmacy, idempotency_key=key).first()
    institution = prescription.institution
    return {
        "accessible": Prescription.objects.filter(
            counter_prescriptions_q(org.pk),
            pk=prescription.pk,
            patient__in=patients_for_principal(Principal(organisation=org)).values("pk"),
        ).exists(),
        "pharmacist": member.user_id if member else None,
        "done_id": done.pk if done else None,
        "pharmacy_may_settle": pharmacy_may_settle(
            pharmacy=w.pharmacy, programme=prescription.programme, on=ON
        ),
        "enrolment": enrolment.pk if enrolment else None,
        "starts_on": enrolment.starts_on if enrolment else None,
        "patient_may_settle_here": enrolment is not None
        and settling_choices(organisation=org, on=ON).filter(enrolment=enrolment).exists(),
        "hospitalised": enrolment is not None
        and patient_hospitalised_on(patient=prescription.patient, on=ON),
        "prescriber_entitled": bool(
            prescription.physician_id
            and institution is not None
            and institution.kind == "hospital"
            and prescriber_memberships(
                physician_id=prescription.physician_id, institution_id=institution.pk
            ).exists()
        ),
    }


def by_counter_read(
    w: World, prescription: Prescription, key: str, username: str
) -> dict[str, Any]:
    read = counter_read(
        pharmacy=w.pharmacy,
        prescription_id=prescription.pk,
        on=ON,
        idempotency_key=key,
        pharmacist=username,
    )
    assert read is not None and read.prescription.pk == prescription.pk
    c = read.checks
    return {
        "accessible": read.accessible,
        "pharmacist": read.pharmacist.pk if read.pharmacist else None,
        "done_id": c.done_id,
        "pharmacy_may_settle": c.pharmacy_may_settle,
        "enrolment": c.enrolment.pk if c.enrolment else None,
        "starts_on": c.enrolment.starts_on if c.enrolment else None,
        "patient_may_settle_here": c.patient_may_settle_here,
        "hospitalised": c.hospitalised,
        "prescriber_entitled": c.prescriber_entitled,
    }


def _nothing(w: World) -> None:
    pass


def _dispensed_under_key(w: World) -> None:
    p = w.prescription(kind=PrescriptionKind.LONG_TERM)  # a second one this month
    from prescriptions.services import dispensing_submit

    dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, 1)],
        actor=w.pharmacist,
        identity_confirmed=True,
        patient_signed=True,
        idempotency_key="pos-key",
    )


def _designation_ended(w: World) -> None:  # HY-C06
    Designation.objects.filter(pharmacy=w.pharmacy).update(ends_on=date(2027, 5, 9))


def _in_hospital(w: World) -> None:  # HY-G08
    HospitalStay.objects.create(
        patient=w.patient, hospital=hospital(), admitted_on=date(2027, 5, 8), source="hospital"
    )


def _discharged_today(w: World) -> None:  # HY-G08: the discharge day is free
    HospitalStay.objects.create(
        patient=w.patient,
        hospital=hospital(),
        admitted_on=date(2027, 5, 1),
        discharged_on=ON,
        source="hospital",
    )


def _moved_away(w: World) -> None:  # HY-G05: the choice ended, not this pharmacy's patient
    InstitutionChoice.objects.filter(enrolment=w.enrolment).update(
        status=ChoiceStatus.ENDED, ended_on=ON
    )


def _institution_revoked(w: World) -> None:  # HY-G06: still settles in the transition
    InstitutionChoice.objects.filter(enrolment=w.enrolment).update(
        status=ChoiceStatus.REVOKED_INSTITUTION, settle_until=date(2027, 5, 31)
    )


def _enrolment_ended(w: World) -> None:  # HY-G07
    Enrolment.objects.filter(pk=w.enrolment.pk).update(status=EnrolmentStatus.ENDED)


def _benefit_not_started(w: World) -> None:  # HY-G07: read, refused by the service
    Enrolment.objects.filter(pk=w.enrolment.pk).update(starts_on=date(2027, 6, 1))


def _physician_left(w: World) -> None:  # GY-E02
    Membership.objects.filter(user=w.physician).update(is_active=False)


def _pharmacist_left(w: World) -> None:
    Membership.objects.filter(user=w.pharmacist).update(is_active=False)


def _pharmacist_account_disabled(w: World) -> None:
    User.objects.filter(pk=w.pharmacist.pk).update(is_active=False)


# Each case and what it changes from the allowed sale (checked too, so no case is vacuous).
CASES: dict[str, tuple[Callable[[World], None], dict[str, Any]]] = {
    "allowed": (_nothing, {}),
    "retry_under_key": (_dispensed_under_key, {"done_id": "set"}),
    "hy_c06_designation_ended": (_designation_ended, {"pharmacy_may_settle": False}),
    "hy_g08_in_hospital": (_in_hospital, {"hospitalised": True}),
    "hy_g08_discharged_today": (_discharged_today, {}),
    "hy_g05_moved_away": (_moved_away, {"patient_may_settle_here": False, "accessible": False}),
    "hy_g06_institution_revoked_in_transition": (_institution_revoked, {}),
    "hy_g07_enrolment_ended": (
        _enrolment_ended,
        {"enrolment": None, "starts_on": None, "patient_may_settle_here": False},
    ),
    "hy_g07_benefit_not_started": (_benefit_not_started, {"starts_on": date(2027, 6, 1)}),
    "gy_e02_physician_left": (_physician_left, {"prescriber_entitled": False}),
    "pharmacist_left": (_pharmacist_left, {"pharmacist": None}),
    "pharmacist_account_disabled": (_pharmacist_account_disabled, {"pharmacist": None}),
}


@pytest.mark.parametrize("case", CASES)
def test_counter_read_answers_as_each_selector(case: str) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        allowed = by_selectors(w, p, "pos-key", w.pharmacist.username)
        change, changed = CASES[case]
        change(w)
        expected = by_selectors(w, p, "pos-key", w.pharmacist.username)
        assert by_counter_read(w, p, "pos-key", w.pharmacist.username) == expected
    # the allowed sale is allowed on every count; each case changes what it says it does
    assert allowed["accessible"] and allowed["pharmacy_may_settle"]
    assert allowed["patient_may_settle_here"] and allowed["prescriber_entitled"]
    assert allowed["pharmacist"] == w.pharmacist.pk and not allowed["hospitalised"]
    assert allowed["done_id"] is None and allowed["enrolment"] == w.enrolment.pk
    differs = {k: v for k, v in expected.items() if allowed[k] != v}
    assert set(differs) == set(changed)
    assert all(v == changed[k] for k, v in differs.items() if changed[k] != "set")


def test_counter_read_of_another_pharmacys_patient_is_not_accessible() -> None:
    w = world()
    other = world(2)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        read = counter_read(
            pharmacy=other.pharmacy,
            prescription_id=p.pk,
            on=ON,
            idempotency_key="x",
            pharmacist=w.pharmacist.username,  # not a member of the other pharmacy
        )
    assert read is not None and not read.accessible and read.pharmacist is None
    assert read.checks.patient_may_settle_here is False
    assert counter_read(pharmacy=w.pharmacy, prescription_id=-1, on=ON, idempotency_key="x") is None
