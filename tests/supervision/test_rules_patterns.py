"""Patterns across sales: SV-F05 the same patient settled at two pharmacies within minutes,
SV-F04 the same basket settled for many patients at one pharmacy in a day. Each fires in its
world and not in the other; thresholds are programme data; scans are idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from prescriptions.models import Dispensing, DispensingLine
from supervision.engine import rule_scan
from supervision.models import Finding
from supervision.rules import RULES
from supervision.rules.base import Signals
from tests.factories.prescriptions import World, world
from tests.supervision.test_rules_engine import MAY, sell
from tests.supervision.test_rules_more import thresholds

pytestmark = pytest.mark.django_db


def signal_found(rule_id: str, signal: str) -> list[Finding]:
    return [
        f
        for f in Finding.objects.filter(rule_id=rule_id).order_by("id")
        if f.details["params"].get("signal") == signal
    ]


def sale(w: World) -> Dispensing:
    with time_machine.travel(MAY, tick=False):
        return sell(w)


def copy_of(d: Dispensing, tag: str, **changes: Any) -> Dispensing:
    """The same sale recorded again with `changes` (another pharmacy, patient or time), its
    lines with it."""
    lines = list(d.lines.all())
    clone = Dispensing.objects.get(pk=d.pk)
    clone.pk = None
    clone.number = f"{d.number[:30]}-{tag}"
    clone.idempotency_key = None
    for name, value in changes.items():
        setattr(clone, name, value)
    clone.save()
    for line in lines:
        line.pk = None
        line.dispensing = clone
    DispensingLine.objects.bulk_create(lines)
    return clone


# --- SV-F05 the same patient at two pharmacies within minutes -----------------------------


def test_sv_f05_is_one_rule_of_two_signals() -> None:
    rule = RULES["SV-F05"]
    assert isinstance(rule, Signals)
    assert {p.signal for p in rule.parts} == {"", "two_pharmacies"}


def test_sv_f05_the_same_patient_at_two_pharmacies_within_minutes_becomes_a_finding() -> None:
    w, other = world(1), world(2)
    d = sale(w)
    copy_of(d, "b", pharmacy=other.pharmacy, dispensed_at=d.dispensed_at + timedelta(minutes=20))
    assert rule_scan("SV-F05") == 1
    (finding,) = signal_found("SV-F05", "two_pharmacies")
    assert finding.pharmacy == other.pharmacy
    sales = finding.details["evidence"]["sales"]
    assert [s["pharmacy"] for s in sales] == [
        w.pharmacy.organisation.name,
        other.pharmacy.organisation.name,
    ]
    assert finding.details["evidence"]["minutes_apart"] == 20.0
    assert rule_scan("SV-F05") == 0  # idempotent


def test_sv_f05_hours_apart_or_the_same_pharmacy_is_not_a_finding() -> None:
    w, other = world(1), world(2)
    d = sale(w)
    copy_of(d, "b", pharmacy=other.pharmacy, dispensed_at=d.dispensed_at + timedelta(hours=3))
    copy_of(d, "c", dispensed_at=d.dispensed_at + timedelta(minutes=5))
    rule_scan("SV-F05")
    assert not signal_found("SV-F05", "two_pharmacies")


def test_sv_f05_the_minutes_are_programme_data() -> None:
    w, other = world(1), world(2)
    d = sale(w)
    copy_of(d, "b", pharmacy=other.pharmacy, dispensed_at=d.dispensed_at + timedelta(hours=3))
    thresholds("SV-F05", minutes=240)
    rule_scan("SV-F05")
    assert len(signal_found("SV-F05", "two_pharmacies")) == 1


# --- SV-F04 the same basket for many patients ----------------------------------------------


def patients_of(n: int) -> list[Any]:
    return [world(i).patient for i in range(2, 2 + n)]


def test_sv_f04_the_same_basket_for_many_patients_in_a_day_becomes_a_finding() -> None:
    w = world()
    d = sale(w)
    thresholds("SV-F04", basket_patients=3, basket_lines=1)
    for i, patient in enumerate(patients_of(2)):
        copy_of(d, f"p{i}", patient=patient, dispensed_at=d.dispensed_at + timedelta(hours=i + 1))
    assert rule_scan("SV-F04") == 1
    (finding,) = signal_found("SV-F04", "same_basket")
    assert finding.pharmacy == w.pharmacy
    assert finding.details["params"]["n"] == 3
    assert len(finding.details["evidence"]["sales"]) == 3
    assert rule_scan("SV-F04") == 0


def test_sv_f04_different_baskets_or_too_few_patients_are_not_a_finding() -> None:
    w = world()
    d = sale(w)
    thresholds("SV-F04", basket_patients=3, basket_lines=1)
    (one,) = patients_of(1)
    copy_of(d, "p", patient=one, dispensed_at=d.dispensed_at + timedelta(hours=1))
    copy_of(d, "q", patient=one, dispensed_at=d.dispensed_at + timedelta(days=1))
    rule_scan("SV-F04")
    assert not signal_found("SV-F04", "same_basket")


def test_sv_f04_a_one_line_basket_is_common_and_not_counted_by_default() -> None:
    w = world()
    d = sale(w)
    thresholds("SV-F04", basket_patients=3)
    for i, patient in enumerate(patients_of(2)):
        copy_of(d, f"p{i}", patient=patient, dispensed_at=d.dispensed_at + timedelta(hours=i + 1))
    rule_scan("SV-F04")
    assert not signal_found("SV-F04", "same_basket")
