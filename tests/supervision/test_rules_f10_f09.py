"""SV-F10 (licensed pharmacist not on duty) and SV-F09 (settling for others: settled volume
beyond what the ledger could supply; transfers in from outside the owner followed by
settlements): each signal fires in its world and not in the other, thresholds are programme
data, a second scan raises nothing new."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmacies.models import StaffMember
from supervision.engine import parameters_of, rule_scan, rules_dry_run
from supervision.models import SupervisionRule
from supervision.rules import RULES
from supervision.rules.base import Scope
from tests.factories.prescriptions import World, world
from tests.supervision.test_rules_engine import MAY, sell
from tests.supervision.test_rules_more import found, local, thresholds

pytestmark = pytest.mark.django_db

# --- SV-F10 licensed pharmacist not on duty ------------------------------------------------


def off_roster(w: World, weekdays: str = "234567") -> None:
    """The pharmacy's roster as it stands: its licensed pharmacist not rostered on Mondays
    (10 May 2027, the sales' day, is a Monday); the counter checked the roster of the day."""
    StaffMember.objects.filter(pharmacy=w.pharmacy).update(duty_weekdays=weekdays)


def test_sv_f10_prescription_sales_on_a_day_without_a_pharmacist_on_duty_become_one_finding() -> (
    None
):
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        first = sell(w, prescription=p)
        second = sell(w, prescription=p)
    off_roster(w)
    assert rule_scan("SV-F10") == 1
    (finding,) = found("SV-F10")
    assert finding.pharmacy == w.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["day"] == "2027-05-10" and evidence["weekday"] == 1
    assert [d["number"] for d in evidence["dispensings"]] == [first.number, second.number]
    assert evidence["roster"][0]["duty_weekdays"] == "234567"
    assert "2027-05-10" in finding.display_summary()


def test_sv_f10_a_pharmacist_on_duty_or_gone_decides() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    assert rule_scan("SV-F10") == 0  # rostered every day, employed since 2020
    SupervisionRule.objects.filter(rule_id="SV-F10").update(watermark={})
    StaffMember.objects.filter(pharmacy=w.pharmacy).update(left_on=local(2027, 5, 9).date())
    assert rule_scan("SV-F10") == 1  # left the day before


def test_sv_f10_min_dispensings_is_programme_data() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    off_roster(w)
    thresholds("SV-F10", min_dispensings=2)
    assert rule_scan("SV-F10") == 0
    assert not found("SV-F10")


def test_sv_f10_is_idempotent_incremental_and_bounded() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        sell(w, prescription=p)
    off_roster(w)
    assert rule_scan("SV-F10") == 1
    assert rule_scan("SV-F10") == 0
    off_roster(w, "1234567")
    with time_machine.travel(MAY, tick=False):
        sell(w, prescription=p)  # the same pharmacy and day: no second finding
    off_roster(w)
    assert rule_scan("SV-F10") == 0
    with time_machine.travel("2027-05-11 10:00 +0800", tick=False):
        for _i in range(3):
            sell(w, prescription=p)
    off_roster(w, "34567")
    rule = RULES["SV-F10"]
    scope = Scope(watermark={}, period=None, parameters=parameters_of(rule))
    with CaptureQueriesContext(connection) as queries:
        hits = rule.scan(scope)
    assert len(hits) == 2 and len(queries) == 3  # last id, the sales, the roster
    assert rule_scan("SV-F10") == 1
    dry = [
        h
        for h in rules_dry_run(period=(local(2027, 5, 1), local(2027, 6, 1)))
        if h.rule_id == "SV-F10"
    ]
    assert len(dry) == 2 and all(h.exists for h in dry)
