"""SV-F12 duplicate or inconsistent filings (two signals: one round at several windows, a
filing while enrolled) and SV-F08 forged prescriptions (three signals: prescriber not in post
on the issue day, prescription dated after the sale, one physician's volume far above the
peers). Each fires in its world and not in the other; thresholds are programme data; a second
scan raises nothing new; the scans read a bounded number of statements."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Organisation, Role, User
from accounts.principal import Principal
from patients.models import Filing, FilingStatus, Patient
from patients.services import enrolment_end
from prescriptions.models import Prescription
from supervision.engine import rule_scan, rules_dry_run
from supervision.models import Finding
from supervision.rules import RULES
from supervision.rules.base import Scope, Signals
from supervision.selectors import findings_for_principal
from tests.factories import member
from tests.factories.patients import (
    bureau,
    county_window,
    enrol,
    hospital,
    lodge,
    patient,
    township_window,
)
from tests.factories.prescriptions import World, world
from tests.supervision.test_rules_engine import MAY, sell
from tests.supervision.test_rules_more import local, thresholds

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"


def found(rule_id: str, signal: str = "") -> list[Finding]:
    rows = Finding.objects.filter(rule_id=rule_id).order_by("id")
    return [f for f in rows if f.details["params"].get("signal", "") == signal]


def again(filing: Filing, window: Organisation, **fields: Any) -> Filing:
    """The same filing lodged once more at `window`, written past the lodging service (which
    refuses it: an import or a direct edit)."""
    copy = Filing.objects.get(pk=filing.pk)
    copy.pk = None
    copy.number = f"{filing.number}-{window.pk}-{Filing.objects.count()}"
    copy.window = window
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def lodged_in_april(n: int = 1) -> tuple[Patient, Filing]:
    with time_machine.travel(APRIL, tick=False):
        p = patient(n)
        return p, lodge(p)


# --- SV-F12 one round, several windows -------------------------------------------------------


def test_sv_f12_one_patient_lodged_at_two_windows_in_one_round() -> None:
    _p, first = lodged_in_april()
    with time_machine.travel("2027-04-14 10:00 +0800", tick=False):
        second = again(first, county_window(), lodged_on=date(2027, 4, 14))
    assert rule_scan("SV-F12") == 1
    (finding,) = found("SV-F12")
    assert finding.organisation == county_window() and finding.pharmacy is None
    filings = finding.details["evidence"]["filings"]
    assert [f["number"] for f in filings] == [first.number, second.number]
    assert {f["window"] for f in filings} == {hospital().name, county_window().name}
    assert filings[1]["lodged_on"] == "2027-04-14"
    assert second.number in finding.display_summary()
    # The bureau of the window's region sees it; another region's does not.
    mine = Principal(organisation=bureau(), role=Role.BUREAU_REVIEWER)
    assert finding in findings_for_principal(mine)


def test_sv_f12_same_window_another_round_or_a_refused_filing_raise_nothing() -> None:
    _p, first = lodged_in_april()
    again(first, hospital())  # same window twice: not this signal
    again(first, county_window(), round_label="2027-10")  # another round
    again(first, township_window(), status=FilingStatus.REJECTED)  # refused
    assert rule_scan("SV-F12") == 0
    assert not Finding.objects.filter(rule_id="SV-F12").exists()


def test_sv_f12_the_number_of_windows_is_programme_data() -> None:
    thresholds("SV-F12", windows=3)
    _p, first = lodged_in_april()
    again(first, county_window())
    assert rule_scan("SV-F12") == 0
    third = again(first, township_window())
    assert rule_scan("SV-F12") == 1
    (finding,) = found("SV-F12")
    assert finding.details["params"]["number"] == third.number
    assert len(finding.details["evidence"]["filings"]) == 3


def test_sv_f12_a_second_scan_raises_nothing_new() -> None:
    _p, first = lodged_in_april()
    again(first, county_window())
    assert rule_scan("SV-F12") == 1
    assert rule_scan("SV-F12") == 0
    # The watermark moved: an unrelated new filing is read, the old pair is not raised again.
    lodged_in_april(2)
    assert rule_scan("SV-F12") == 0
    assert Finding.objects.filter(rule_id="SV-F12").count() == 1


# --- SV-F12 a filing while enrolled ----------------------------------------------------------


def enrolled(n: int = 1) -> Any:
    with time_machine.travel("2027-04-10 10:00 +0800", tick=False):
        return enrol(patient(n))


def test_sv_f12_a_filing_for_a_disease_the_patient_is_enrolled_in() -> None:
    enrolment = enrolled()
    with time_machine.travel("2027-10-12 10:00 +0800", tick=False):
        filing = again(
            enrolment.filing,
            county_window(),
            round_label="2027-10",
            status=FilingStatus.LODGED,
            lodged_on=date(2027, 10, 12),
        )
    assert rule_scan("SV-F12") == 1
    (finding,) = found("SV-F12", "enrolled")
    assert finding.organisation == county_window()
    evidence = finding.details["evidence"]
    assert evidence["filing"]["number"] == filing.number
    assert evidence["enrolment"]["filing"] == enrolment.filing.number
    assert filing.number in finding.display_summary()
    assert enrolment.filing.number in finding.display_summary()


def test_sv_f12_a_filing_after_the_enrolment_ended_raises_nothing() -> None:
    enrolment = enrolled()
    with time_machine.travel("2027-09-01 10:00 +0800", tick=False):
        enrolment_end(
            enrolment=enrolment,
            ended_on=date(2027, 9, 1),
            reason="迁出",
            actor=member(Role.BENEFITS_OFFICER, organisation=bureau()),
        )
    with time_machine.travel("2027-10-12 10:00 +0800", tick=False):
        lodge(enrolment.patient)  # the service accepts it: nothing is active any more
        # A filing for another disease is no duplicate either.
        again(enrolment.filing, hospital(), disease=_other_disease(enrolment), round_label="")
    assert rule_scan("SV-F12") == 0
    assert not Finding.objects.filter(rule_id="SV-F12").exists()


def _other_disease(enrolment: Any) -> Any:
    from programmes.models import Disease

    return Disease.objects.filter(programme=enrolment.disease.programme).exclude(
        pk=enrolment.disease_id
    )[0]


def test_sv_f12_enrolled_signal_second_scan_raises_nothing_new() -> None:
    enrolment = enrolled()
    with time_machine.travel("2027-10-12 10:00 +0800", tick=False):
        again(enrolment.filing, county_window(), round_label="2027-10", lodged_on=date.today())
    assert rule_scan("SV-F12") == 1
    assert rule_scan("SV-F12") == 0
    assert len(found("SV-F12", "enrolled")) == 1


def test_sv_f12_is_one_rule_of_two_signals_with_bounded_queries() -> None:
    rule = RULES["SV-F12"]
    assert isinstance(rule, Signals) and {p.signal for p in rule.parts} == {"", "enrolled"}
    firsts = [lodged_in_april(n)[1] for n in (1, 2)]
    again(firsts[0], county_window())
    with CaptureQueriesContext(connection) as one:
        rule.scan(_scope(rule))
    for first in firsts[1:]:
        again(first, county_window())
        again(first, township_window())
    with CaptureQueriesContext(connection) as many:
        hits = rule.scan(_scope(rule))
    assert len(hits) == 3 and len(many) == len(one)


def _scope(rule: Any) -> Scope:
    return Scope(watermark={}, period=None, parameters=lambda _p: dict(rule.defaults))


# --- SV-F08 prescriber not in post -----------------------------------------------------------


def test_sv_f08_a_prescription_of_a_physician_of_another_hospital_becomes_a_finding() -> None:
    w = world()
    stranger = member(Role.PHYSICIAN, organisation=hospital("衡阳县中医医院"))
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        sale = sell(w, prescription=p)
    # The counter refuses such a prescription (GY-E02): it was changed after the sale.
    Prescription.objects.filter(pk=p.pk).update(physician=stranger)
    assert rule_scan("SV-F08") == 1
    (finding,) = found("SV-F08")
    assert finding.pharmacy == w.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["prescription"]["number"] == p.number
    assert evidence["prescription"]["physician"] == stranger.username
    assert [d["number"] for d in evidence["dispensings"]] == [sale.number]
    assert p.number in finding.display_summary()


def test_sv_f08_a_physician_in_post_on_the_issue_day_raises_nothing() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    # Leaving the hospital after the issue day does not make the prescription forged.
    with time_machine.travel("2027-05-20 10:00 +0800", tick=False):
        _deactivate(w.physician)
    assert rule_scan("SV-F08") == 0
    assert not Finding.objects.filter(rule_id="SV-F08").exists()


def _post(user: User) -> Membership:
    return Membership.objects.get(user=user, role=Role.PHYSICIAN)


def _deactivate(user: User, active: bool = False) -> None:
    post = _post(user)
    post.is_active = active
    post.save()


def test_sv_f08_the_post_is_judged_on_the_issue_day_from_its_history() -> None:
    w = world()
    with time_machine.travel("2027-05-01 09:00 +0800", tick=False):
        _deactivate(w.physician)
    with time_machine.travel("2027-05-20 09:00 +0800", tick=False):
        _deactivate(w.physician, active=True)
        p = w.prescription()
        sell(w, prescription=p)
    Prescription.objects.filter(pk=p.pk).update(issued_on=date(2027, 5, 10))
    # Active now, but not on the 10th: the history says so.
    assert _post(w.physician).is_active
    assert rule_scan("SV-F08") == 1
    assert found("SV-F08")[0].details["params"]["issued_on"] == "2027-05-10"


def test_sv_f08_a_second_scan_raises_nothing_new() -> None:
    w = world()
    stranger = member(Role.PHYSICIAN, organisation=hospital("衡阳县中医医院"))
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=60)
        sell(w, prescription=p)
    Prescription.objects.filter(pk=p.pk).update(physician=stranger)
    assert rule_scan("SV-F08") == 1
    assert rule_scan("SV-F08") == 0
    # A later sale of the same prescription is read and belongs to the same finding.
    Prescription.objects.filter(pk=p.pk).update(physician=w.physician)
    with time_machine.travel("2027-05-11 10:00 +0800", tick=False):
        sell(w, prescription=p)
    Prescription.objects.filter(pk=p.pk).update(physician=stranger)
    assert rule_scan("SV-F08") == 0
    assert len(found("SV-F08")) == 1


# --- SV-F08 dated after the sale -------------------------------------------------------------


def test_sv_f08_a_prescription_dated_after_its_sale_becomes_a_finding() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        sell(w, prescription=p)
    Prescription.objects.filter(pk=p.pk).update(issued_on=date(2027, 5, 12))
    assert rule_scan("SV-F08") == 1
    (finding,) = found("SV-F08", "dated_after")
    assert finding.details["params"]["sold_on"] == "2027-05-10"
    assert finding.details["evidence"]["prescription"]["issued_on"] == "2027-05-12"
    assert "2027-05-12" in finding.display_summary()


def test_sv_f08_dated_after_reads_the_local_date_of_the_sale() -> None:
    w = world()
    # 00:30 in Hengyang is the previous day in UTC: issued the same local day, not after.
    with time_machine.travel("2027-05-11 00:30 +0800", tick=False):
        sell(w, prescription=w.prescription(issued_on=date(2027, 5, 11)))
    assert rule_scan("SV-F08") == 0
    assert not found("SV-F08", "dated_after")


def test_sv_f08_dated_after_second_scan_raises_nothing_new() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=60)
        sell(w, prescription=p)
        sell(w, prescription=p)
    Prescription.objects.filter(pk=p.pk).update(issued_on=date(2027, 5, 12))
    assert rule_scan("SV-F08") == 1
    assert rule_scan("SV-F08") == 0
    (finding,) = found("SV-F08", "dated_after")
    assert len(finding.details["evidence"]["dispensings"]) == 2


# --- SV-F08 volume ---------------------------------------------------------------------------


def issued(w: World, physician: User, n: int, on: date = date(2027, 5, 10)) -> None:
    """`n` prescriptions of `physician` at the world's hospital issued on `on` (copies of a
    real one of the patient, written in one statement)."""
    base = Prescription.objects.filter(patient=w.patient).order_by("id").first()
    if base is None:
        with time_machine.travel(MAY, tick=False):
            base = w.prescription()
    copies = []
    for i in range(n):
        copy = Prescription.objects.get(pk=base.pk)
        copy.pk = None
        copy.number = f"V{physician.pk}-{on:%Y%m%d}-{i}-{Prescription.objects.count()}"
        copy.physician = physician
        copy.issued_on = on
        copies.append(copy)
    Prescription.objects.bulk_create(copies)


def peers(n: int) -> list[User]:
    return [member(Role.PHYSICIAN, organisation=hospital()) for _i in range(n)]


def test_sv_f08_one_physician_far_above_the_peers_becomes_a_finding() -> None:
    w = world()
    issued(w, w.physician, 60)
    for peer in peers(2):
        issued(w, peer, 10)
    assert rule_scan("SV-F08") == 1
    (finding,) = found("SV-F08", "volume")
    assert finding.organisation == hospital() and finding.pharmacy is None
    params = finding.details["params"]
    assert params["n"] == 61 and params["median"] == "10" and params["month"] == "2027-05"
    assert len(finding.details["evidence"]["sample"]) == 20
    assert "61" in finding.display_summary()


def test_sv_f08_volume_near_the_peers_or_below_the_minimum_raises_nothing() -> None:
    w = world()
    issued(w, w.physician, 60)
    for peer in peers(2):
        issued(w, peer, 25)  # 61 is not above 3 × 25
    other = member(Role.PHYSICIAN, organisation=hospital())
    issued(w, other, 5, on=date(2027, 6, 3))  # alone in June: no peers
    assert rule_scan("SV-F08") == 0
    assert not found("SV-F08", "volume")


def test_sv_f08_volume_thresholds_are_programme_data() -> None:
    thresholds("SV-F08", factor=2, min_prescriptions=20)
    w = world()
    issued(w, w.physician, 30)
    for peer in peers(3):
        issued(w, peer, 12)
    assert rule_scan("SV-F08") == 1  # 31 > 2 × 12, and at least 20
    thresholds("SV-F08", min_prescriptions=100)
    issued(w, w.physician, 30, on=date(2027, 6, 3))
    for peer in peers(2):
        issued(w, peer, 2, on=date(2027, 6, 3))
    assert rule_scan("SV-F08") == 0  # June: 30 is below the minimum now


def test_sv_f08_volume_second_scan_and_dry_run() -> None:
    w = world()
    issued(w, w.physician, 60)
    for peer in peers(2):
        issued(w, peer, 10)
    assert rule_scan("SV-F08") == 1
    issued(w, w.physician, 5)  # the same month again: the same finding
    assert rule_scan("SV-F08") == 0
    assert len(found("SV-F08", "volume")) == 1
    dry = rules_dry_run(period=(local(2020, 1, 1), local(2030, 1, 1) + timedelta(days=1)))
    assert [d.exists for d in dry if d.rule_id == "SV-F08"] == [True]


def test_sv_f08_is_one_rule_of_three_signals_with_bounded_queries() -> None:
    rule = RULES["SV-F08"]
    assert isinstance(rule, Signals)
    assert {p.signal for p in rule.parts} == {"", "dated_after", "volume"}
    assert rule.defaults == {"factor": 3, "min_prescriptions": 50}
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=60)
        sell(w, prescription=p)
    with CaptureQueriesContext(connection) as one:
        rule.scan(_scope(rule))
    with time_machine.travel(MAY, tick=False):
        for _i in range(3):
            sell(w, prescription=p)
    issued(w, w.physician, 20)
    with CaptureQueriesContext(connection) as many:
        rule.scan(_scope(rule))
    assert len(many) == len(one)
