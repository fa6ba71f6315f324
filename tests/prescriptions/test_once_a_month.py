"""HY 五(二) "处方原则上一月开一次" (HY-E02, its nearest rule ID): a second ordinary prescription
for the same patient and disease within a month is refused; a long-term one is allowed; the month is
counted as the Civil Code counts periods (core.calendar.period_last_day)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from core.errors import RuleViolation
from prescriptions.models import Prescription, PrescriptionKind
from prescriptions.services import dispensing_return, dispensing_submit
from tests.factories.prescriptions import World, world

pytestmark = pytest.mark.django_db


def issue(w: World, on: str, **kw: Any) -> Prescription:
    with time_machine.travel(f"{on} 10:00 +0800", tick=False):
        return w.prescription(issued_on=date.fromisoformat(on), **kw)


def sell(w: World, p: Prescription, on: str) -> Any:
    with time_machine.travel(f"{on} 11:00 +0800", tick=False):
        return dispensing_submit(
            pharmacy=w.pharmacy,
            prescription=p,
            lines=[w.line(p, 1)],
            actor=w.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
        )


def refused(w: World, on: str) -> RuleViolation:
    before = Prescription.objects.count()
    with pytest.raises(RuleViolation) as exc:
        issue(w, on)
    assert exc.value.rule_id == "HY-E02" and exc.value.field == "kind"
    assert Prescription.objects.count() == before
    return exc.value


def test_hy_e02_second_ordinary_prescription_within_the_month_refused_to_its_last_day() -> None:
    w = world()
    first = issue(w, "2027-05-10")
    sell(w, first, "2027-05-10")  # dispensed: in use for its whole month, past its validity
    err = refused(w, "2027-05-20")
    assert first.number in str(err) and "2027-06-10" in str(err)
    refused(w, "2027-06-10")  # the corresponding day is the month's last day (art. 202)
    assert issue(w, "2027-06-11").kind == PrescriptionKind.NORMAL  # the day after: allowed


def test_hy_e02_month_end_without_a_corresponding_day_ends_on_the_last_day() -> None:
    w = world()
    sell(w, issue(w, "2027-05-31"), "2027-05-31")
    refused(w, "2027-06-30")  # June has no 31st: the month ends on the 30th
    issue(w, "2027-07-01")


def test_hy_e02_long_term_prescription_is_the_allowed_exception() -> None:
    w = world()
    sell(w, issue(w, "2027-05-10"), "2027-05-10")  # an ordinary one in use for its month
    long_term = issue(w, "2027-05-20", kind=PrescriptionKind.LONG_TERM, days=60, quantity=60)
    assert long_term.kind == PrescriptionKind.LONG_TERM
    # A long-term prescription does not block an ordinary one later (it is not "ordinary")
    issue(w, "2027-06-11")


def test_hy_e02_an_unused_expired_or_fully_returned_prescription_does_not_block() -> None:
    w = world()
    issue(w, "2027-05-10")  # valid 3 days, never dispensed
    refused(w, "2027-05-12")  # still valid
    replacement = issue(w, "2027-05-13")  # expired unused: a replacement is allowed
    d = sell(w, replacement, "2027-05-13")
    refused(w, "2027-05-19")  # dispensed
    with time_machine.travel("2027-05-19 12:00 +0800", tick=False):
        dispensing_return(dispensing=d, actor=w.pharmacist, reason="退药")
    issue(w, "2027-05-20")  # its only sale returned and its validity over: not in use


def test_hy_e02_general_outpatient_programme_sets_no_interval() -> None:
    from tests.factories.prescriptions import MAY, gy, paper

    g = gy()
    assert g.programme.prescription_interval_months is None
    with time_machine.travel(MAY, tick=False):
        paper(g, g.employee)
        paper(g, g.employee)  # GY-PT: no disease, no interval
    assert Prescription.objects.filter(patient=g.employee).count() == 2
