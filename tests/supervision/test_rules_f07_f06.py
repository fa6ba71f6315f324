"""SV-F07 inducing resale (quota used to the last yuan, top spend), SV-F06's signals over the
sales (days of supply, several pharmacies, monthly prescriptions) and SV-F01's second signal
(a code received after it was sold elsewhere): each fires in its world and not in the other,
thresholds are programme data, a second scan raises nothing new, queries do not grow per row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from inventory.models import Movement, MovementKind, TraceabilityCode
from prescriptions.models import Dispensing, PrescriptionKind, QuotaAccount
from programmes.models import Programme
from supervision.engine import parameters_of, rule_scan, rules_dry_run
from supervision.models import SupervisionRule
from supervision.rules import RULES, Scope
from supervision.rules.base import Signals
from supervision.rules.resale import percentile
from tests.factories.prescriptions import World, world
from tests.supervision.test_rules_engine import MAY, sell
from tests.supervision.test_rules_more import found, local, thresholds

pytestmark = pytest.mark.django_db
JULY = "2027-07-12 10:00 +0800"


def signal_of(rule_id: str, signal: str) -> list[Any]:
    return [f for f in found(rule_id) if f.details["params"].get("signal", "") == signal]


def buy(w: World, when: str, *, qty: int = 1, days: int = 30, **kw: Any) -> Dispensing:
    """One sale of `qty` units on a prescription of `qty` units for `days` days."""
    with time_machine.travel(when, tick=False):
        p = w.prescription(quantity=qty, days=days, **kw)
        return sell(w, prescription=p, lines=[w.line(p, qty)])


def long_term(w: World, when: str, *, qty: int = 1, days: int = 30) -> Dispensing:
    return buy(w, when, qty=qty, days=days, kind=PrescriptionKind.LONG_TERM)


def test_signals_are_registered_under_their_ids() -> None:
    f06, f07, f01 = RULES["SV-F06"], RULES["SV-F07"], RULES["SV-F01"]
    assert isinstance(f06, Signals) and {p.signal for p in f06.parts} == {
        "",
        "days",
        "pharmacies",
        "monthly_prescriptions",
    }
    assert isinstance(f07, Signals) and {p.signal for p in f07.parts} == {"", "top_spend"}
    assert isinstance(f01, Signals) and {p.signal for p in f01.parts} == {
        "",
        "received_after_sale",
    }
    assert {"attempts", "tolerance_days", "pharmacies", "prescriptions"} <= set(f06.defaults)
    assert {"tolerance", "quarters", "patients", "percentile", "share"} <= set(f07.defaults)


# --- SV-F07 quota used to the last yuan ----------------------------------------------------


def use_up(w: World, *, left: str = "0.40", start: date | None = None) -> None:
    accounts = QuotaAccount.objects.filter(enrolment=w.enrolment)
    if start is not None:
        accounts = accounts.filter(period_start=start)
    for account in accounts:
        QuotaAccount.objects.filter(pk=account.pk).update(used=account.quota - Decimal(left))


def test_sv_f07_quota_used_to_the_last_yuan_two_quarters_running() -> None:
    w = world()
    buy(w, MAY)
    buy(w, JULY)
    use_up(w)
    assert rule_scan("SV-F07") == 0  # one patient: below the default of 3 patients
    thresholds("SV-F07", patients=1)
    SupervisionRule.objects.filter(rule_id="SV-F07").update(watermark={})
    assert rule_scan("SV-F07") == 1
    (finding,) = signal_of("SV-F07", "")
    assert finding.pharmacy == w.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["quarter"] == "2027Q3"
    (patient,) = evidence["patients"]
    assert patient["patient_id"] == w.patient.pk and len(patient["periods"]) == 2
    assert "2027Q3" in finding.display_summary()


def test_sv_f07_quota_used_up_in_one_quarter_only_raises_nothing() -> None:
    w = world()
    thresholds("SV-F07", patients=1)
    buy(w, MAY)
    buy(w, JULY)
    use_up(w, start=date(2027, 4, 1))
    use_up(w, start=date(2027, 7, 1), left="50.00")
    rule_scan("SV-F07")
    assert not signal_of("SV-F07", "")


def test_sv_f07_quota_tolerance_is_programme_data_and_a_second_scan_raises_nothing() -> None:
    w = world()
    thresholds("SV-F07", patients=1)
    buy(w, MAY)
    buy(w, JULY)
    use_up(w, left="3.00")
    assert rule_scan("SV-F07") == 0
    thresholds("SV-F07", tolerance=5)
    SupervisionRule.objects.filter(rule_id="SV-F07").update(watermark={})
    assert rule_scan("SV-F07") == 1
    assert rule_scan("SV-F07") == 0
    use_up(w, left="20.00", start=date(2027, 7, 1))
    long_term(w, "2027-07-20 10:00 +0800")  # a new sale in the quarter: recomputed, nothing new
    use_up(w, left="3.00")
    assert rule_scan("SV-F07") == 0
    assert len(signal_of("SV-F07", "")) == 1


# --- SV-F07 top spend ----------------------------------------------------------------------


def test_sv_f07_percentile_interpolates() -> None:
    values = [Decimal(v) for v in ("10", "20", "30", "40")]
    assert percentile(values, 50) == Decimal("25")
    assert percentile(values, 100) == Decimal("40")


def spenders(*quantities: int) -> list[World]:
    worlds = [world(n) for n in range(1, len(quantities) + 1)]
    for w, qty in zip(worlds, quantities, strict=True):
        buy(w, MAY, qty=qty)
    return worlds


def test_sv_f07_top_spenders_gathered_at_one_pharmacy() -> None:
    worlds = spenders(1, 2, 8)
    thresholds("SV-F07", percentile=50, patients=1)
    assert rule_scan("SV-F07") == 1
    (finding,) = signal_of("SV-F07", "top_spend")
    assert finding.pharmacy == worlds[2].pharmacy
    evidence = finding.details["evidence"]
    assert evidence["quarter"] == "2027Q2" and evidence["top_patients"] == 1
    assert evidence["here"][0]["patient_id"] == worlds[2].patient.pk
    assert "2027Q2" in finding.display_summary()
    assert rule_scan("SV-F07") == 0


def test_sv_f07_top_spend_equal_spenders_or_default_thresholds_raise_nothing() -> None:
    spenders(1, 2, 8)
    rule_scan("SV-F07")  # the 95th percentile, at least 3 top patients: none
    assert not signal_of("SV-F07", "top_spend")
    thresholds("SV-F07", percentile=50, patients=1, share=1.5)  # no pharmacy holds 150%
    SupervisionRule.objects.filter(rule_id="SV-F07").update(watermark={})
    rule_scan("SV-F07")
    assert not signal_of("SV-F07", "top_spend")


# --- SV-F06 days of supply -----------------------------------------------------------------


def test_sv_f06_days_of_supply_beyond_the_month_plus_tolerance() -> None:
    w = world()
    long_term(w, MAY, qty=2, days=30)
    long_term(w, "2027-05-20 10:00 +0800", qty=2, days=30)
    assert rule_scan("SV-F06") == 1
    (finding,) = signal_of("SV-F06", "days")
    assert finding.pharmacy == w.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["days"] == 60 and evidence["month_days"] == 31
    assert len(evidence["dispensings"]) == 2
    assert "2027-05" in finding.display_summary() and "60" in finding.display_summary()
    assert rule_scan("SV-F06") == 0


def test_sv_f06_days_of_a_partly_dispensed_prescription_count_its_share() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=4, days=60, kind=PrescriptionKind.LONG_TERM)
        sell(w, prescription=p, lines=[w.line(p, 2)])  # half: 30 days
    rule_scan("SV-F06")
    assert not signal_of("SV-F06", "days")
    thresholds("SV-F06", tolerance_days=-2)  # 30 days > 31 - 2
    SupervisionRule.objects.filter(rule_id="SV-F06").update(watermark={})
    rule_scan("SV-F06")
    assert len(signal_of("SV-F06", "days")) == 1


# --- SV-F06 several pharmacies -------------------------------------------------------------


def test_sv_f06_the_same_drug_settled_at_two_pharmacies_in_a_month() -> None:
    w, other = world(1), world(2)
    long_term(w, MAY)
    second = long_term(w, "2027-05-20 10:00 +0800")
    Dispensing.objects.filter(pk=second.pk).update(pharmacy=other.pharmacy)
    rule_scan("SV-F06")  # 60 days in May as well: the days signal too
    (finding,) = signal_of("SV-F06", "pharmacies")
    assert finding.pharmacy == other.pharmacy  # the latest sale's
    assert len(finding.details["evidence"]["pharmacies"]) == 2
    assert rule_scan("SV-F06") == 0


def test_sv_f06_one_pharmacy_or_two_months_raise_nothing() -> None:
    w, other = world(1), world(2)
    long_term(w, MAY)
    long_term(w, "2027-05-20 10:00 +0800")
    later = long_term(w, "2027-06-20 10:00 +0800")
    Dispensing.objects.filter(pk=later.pk).update(pharmacy=other.pharmacy)
    rule_scan("SV-F06")
    assert not signal_of("SV-F06", "pharmacies")
    thresholds("SV-F06", pharmacies=1)  # programme data: one pharmacy is enough
    SupervisionRule.objects.filter(rule_id="SV-F06").update(watermark={})
    rule_scan("SV-F06")
    assert signal_of("SV-F06", "pharmacies")


# --- SV-F06 monthly prescriptions ----------------------------------------------------------


def no_interval(w: World) -> None:
    """The counter's once-a-month check off (programme data): two ordinary prescriptions in a
    month get through, and the supervision sees them."""
    Programme.objects.filter(code="HY-TM").update(prescription_interval_months=None)
    w.hy.prescription_interval_months = None


def test_sv_f06_two_ordinary_prescriptions_for_a_disease_in_a_month() -> None:
    w = world()
    no_interval(w)
    buy(w, MAY)
    buy(w, "2027-05-20 10:00 +0800")
    rule_scan("SV-F06")
    (finding,) = signal_of("SV-F06", "monthly_prescriptions")
    assert len(finding.details["evidence"]["prescriptions"]) == 2
    assert "2027-05" in finding.display_summary()
    assert rule_scan("SV-F06") == 0


def test_sv_f06_a_long_term_prescription_in_the_month_raises_nothing() -> None:
    w = world()
    no_interval(w)
    buy(w, MAY)
    long_term(w, "2027-05-20 10:00 +0800")
    rule_scan("SV-F06")
    assert not signal_of("SV-F06", "monthly_prescriptions")


def test_sv_f06_monthly_prescriptions_limit_is_programme_data() -> None:
    w = world()
    no_interval(w)
    thresholds("SV-F06", prescriptions=2)
    buy(w, MAY)
    buy(w, "2027-05-20 10:00 +0800")
    rule_scan("SV-F06")
    assert not signal_of("SV-F06", "monthly_prescriptions")


def test_sv_f06_signals_keep_apart_from_the_refusal_count() -> None:
    w = world()
    no_interval(w)
    buy(w, MAY)
    rule_scan("SV-F06")
    watermark = SupervisionRule.objects.get(rule_id="SV-F06").watermark
    assert {
        "days:dispensing",
        "pharmacies:dispensing",
        "monthly_prescriptions:dispensing",
    } <= set(watermark)


def test_sv_f06_queries_do_not_grow_with_the_sales() -> None:
    rule = RULES["SV-F06"]

    def queries() -> int:
        scope = Scope(watermark={}, period=None, parameters=parameters_of(rule))
        with CaptureQueriesContext(connection) as ctx:
            rule.scan(scope)
        return len(ctx.captured_queries)

    w = world()
    no_interval(w)
    buy(w, MAY)
    few = queries()
    for day in (12, 14, 16, 18):
        buy(w, f"2027-05-{day} 10:00 +0800")
    other = world(2)
    buy(other, MAY)
    assert queries() == few


# --- SV-F01 received after sale ------------------------------------------------------------


def receive(w: World, code: str, when: datetime, kind: str = MovementKind.PURCHASE) -> Movement:
    """A receipt of `code` written into the ledger as it stands (the portal's check refuses it
    when entered; the rule finds it where it got in)."""
    return Movement.objects.create(
        pharmacy=w.pharmacy,
        batch=w.batch,
        drug=w.drug,
        kind=kind,
        quantity=1,
        occurred_at=when,
        traceability_codes=[code],
    )


def sold_code(w: World, when: str = MAY) -> str:
    sale = long_term(w, when)
    return str(Dispensing.objects.get(pk=sale.pk).lines.get().traceability_codes[0])


def test_sv_f01_a_code_received_by_another_pharmacy_after_its_sale() -> None:
    w, other = world(1), world(2)
    code = sold_code(w)
    receive(other, code, local(2027, 6, 1, 10), MovementKind.TRANSFER_IN)
    assert rule_scan("SV-F01") == 1
    (finding,) = signal_of("SV-F01", "received_after_sale")
    assert finding.pharmacy == other.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["code"] == code and evidence["received"]["kind"] == "transfer_in"
    assert evidence["sale"]["pharmacy"] == w.pharmacy.organisation.name
    assert code in finding.display_summary()
    assert rule_scan("SV-F01") == 0
    receive(other, code, local(2027, 6, 2, 10))  # again: the same code and pharmacy
    assert rule_scan("SV-F01") == 0


def test_sv_f01_a_receipt_before_the_sale_or_at_the_same_pharmacy_raises_nothing() -> None:
    w, other = world(1), world(2)
    code = sold_code(w)
    receive(other, code, local(2027, 5, 1, 10))  # before the sale on 10 May
    receive(w, code, local(2027, 6, 1, 10))  # the pharmacy that sold it
    rule_scan("SV-F01")
    assert not signal_of("SV-F01", "received_after_sale")


def test_sv_f01_dry_run_sees_the_receipt() -> None:
    w, other = world(1), world(2)
    code = sold_code(w)
    receive(other, code, local(2027, 6, 1, 10))
    dry = [
        h
        for h in rules_dry_run(period=(local(2027, 6, 1), local(2027, 7, 1)))
        if h.rule_id == "SV-F01"
    ]
    assert len(dry) == 1 and code in dry[0].summary and not dry[0].exists


def test_sv_f01_a_sale_of_a_code_whose_receipt_elsewhere_is_later() -> None:
    w, other = world(1), world(2)
    code = sold_code(w)
    receipt = Movement.objects.create(
        pharmacy=other.pharmacy,
        batch=other.batch,
        drug=other.drug,
        kind=MovementKind.PURCHASE,
        quantity=1,
        occurred_at=local(2027, 6, 1, 10),
    )  # no codes of its own: the code's register names it as the receipt
    TraceabilityCode.objects.filter(code=code).update(received_in=receipt)
    assert rule_scan("SV-F01") == 1
    (finding,) = signal_of("SV-F01", "received_after_sale")
    assert finding.pharmacy == other.pharmacy


def test_sv_f01_and_sv_f07_queries_do_not_grow_with_the_rows() -> None:
    def queries(rule_id: str) -> int:
        rule = RULES[rule_id]
        scope = Scope(watermark={}, period=None, parameters=parameters_of(rule))
        with CaptureQueriesContext(connection) as ctx:
            rule.scan(scope)
        return len(ctx.captured_queries)

    w, other = world(1), world(2)
    thresholds("SV-F07", patients=1, percentile=50)
    receive(other, sold_code(w), local(2027, 6, 1, 10))
    buy(w, JULY)
    use_up(w, start=date(2027, 7, 1))
    few = {rule_id: queries(rule_id) for rule_id in ("SV-F01", "SV-F07")}
    for day in (13, 14, 15):
        code = sold_code(w, f"2027-05-{day} 10:00 +0800")
        receive(other, code, local(2027, 6, day, 10))
    buy(other, JULY)
    third = world(3)
    long_term(third, "2027-07-20 10:00 +0800")
    assert {rule_id: queries(rule_id) for rule_id in ("SV-F01", "SV-F07")} == few


def test_sv_f06_summary_is_rendered_in_the_readers_language() -> None:
    w = world()
    long_term(w, MAY, qty=2, days=30)
    long_term(w, "2027-05-20 10:00 +0800", qty=2, days=30)
    rule_scan("SV-F06")
    (finding,) = signal_of("SV-F06", "days")
    with override("en"):
        english = finding.display_summary()
    assert "days" in english and str(w.patient.pk) in english
