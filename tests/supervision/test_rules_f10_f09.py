"""SV-F10 (licensed pharmacist not on duty) and SV-F09 (settling for others: settled volume
beyond what the ledger could supply; transfers in from outside the owner followed by
settlements): each signal fires in its world and not in the other, thresholds are programme
data, a second scan raises nothing new."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import CounterpartyKind, Drug, ItemCategory, MovementKind
from inventory.services import stock_movement_record
from pharmacies.models import StaffMember
from supervision.engine import parameters_of, rule_scan, rules_dry_run
from supervision.models import SupervisionRule
from supervision.rules import RULES
from supervision.rules.base import Scope, Signals
from tests.factories.inventory import book
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
    off_roster(w)
    Drug.objects.filter(pk=w.drug.pk).update(category=ItemCategory.SPECIAL_FOOD)
    SupervisionRule.objects.filter(rule_id="SV-F10").update(watermark={})
    assert rule_scan("SV-F10") == 0  # no prescription drug in the sale
    off_roster(w, "1234567")
    Drug.objects.filter(pk=w.drug.pk).update(category=ItemCategory.DRUG)
    SupervisionRule.objects.filter(rule_id="SV-F10").update(watermark={})
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


# --- SV-F09 settling for others --------------------------------------------------------------


def sell_qty(w: World, qty: int, when: str = MAY, prescription: Any = None) -> Any:
    """Sell `qty` units (on `prescription`, else a new one: one a month, HY-E02); returns
    the prescription for more sales on it."""
    with time_machine.travel(when, tick=False):
        p = prescription or w.prescription(quantity=60)
        sell(w, prescription=p, lines=[w.line(p, qty)])
    return p


def test_sv_f09_is_one_rule_of_two_signals() -> None:
    rule = RULES["SV-F09"]
    assert isinstance(rule, Signals) and [p.signal for p in rule.parts] == ["", "outside_transfer"]
    assert {"tolerance", "days", "share"} <= set(rule.defaults)


def test_sv_f09_settled_beyond_opening_stock_purchases_and_transfers_becomes_a_finding() -> None:
    w = world(stock=1)  # April: one unit bought
    # Stock appearing without purchase (a stocktake gain) lets the counter settle more than
    # the pharmacy ever bought or received.
    book(w.pharmacy, w.drug, MovementKind.STOCKTAKE_GAIN, 10, local(2027, 5, 2, 10))
    sell_qty(w, 5)
    assert rule_scan("SV-F09") == 1
    (finding,) = found("SV-F09")
    evidence = finding.details["evidence"]
    assert evidence["sold"] == 5 and evidence["capacity"] == 1 and evidence["opening"] == 1
    assert evidence["month"] == "2027-05" and "signal" not in finding.details["params"]
    assert "2027-05" in finding.display_summary()


def test_sv_f09_sales_within_stock_and_purchases_raise_nothing() -> None:
    w = world()  # 200 bought in April
    sell_qty(w, 5)
    book(w.pharmacy, w.drug, MovementKind.PURCHASE, 10, local(2027, 5, 12, 10))
    assert rule_scan("SV-F09") == 0
    assert not found("SV-F09")


def test_sv_f09_tolerance_is_programme_data() -> None:
    w = world(stock=1)
    book(w.pharmacy, w.drug, MovementKind.STOCKTAKE_GAIN, 10, local(2027, 5, 2, 10))
    thresholds("SV-F09", tolerance=4)  # 1 × (1 + 4) = 5 may be settled
    sell_qty(w, 5)
    assert rule_scan("SV-F09") == 0


def test_sv_f09_capacity_is_idempotent_and_incremental() -> None:
    w = world(stock=1)
    book(w.pharmacy, w.drug, MovementKind.STOCKTAKE_GAIN, 20, local(2027, 5, 2, 10))
    p = sell_qty(w, 5)
    assert rule_scan("SV-F09") == 1
    assert rule_scan("SV-F09") == 0
    sell_qty(w, 2, prescription=p)  # the same pharmacy, drug and month: no second finding
    assert rule_scan("SV-F09") == 0
    sell_qty(w, 3, "2027-06-11 10:00 +0800")  # June opens with 1 + 20 - 7 = 14
    assert rule_scan("SV-F09") == 0
    assert len(found("SV-F09")) == 1


def transfer_in(w: World, qty: int, when: Any, kind: str = CounterpartyKind.OTHER) -> None:
    stock_movement_record(
        pharmacy=w.pharmacy,
        batch=w.batch,
        kind=MovementKind.TRANSFER_IN,
        quantity=qty,
        occurred_at=when,
        actor=None,
        counterparty_kind=kind,
        counterparty="外地某药店" if kind == CounterpartyKind.OTHER else "本连锁二店",
        reference="DB-001",
    )


def test_sv_f09_outside_transfer_followed_by_settlements_becomes_a_finding() -> None:
    w = world()
    transfer_in(w, 10, local(2027, 5, 8, 10))
    sell_qty(w, 6)  # two days later, more than half of the 10
    assert rule_scan("SV-F09") == 1
    (finding,) = found("SV-F09")
    assert finding.details["params"]["signal"] == "outside_transfer"
    evidence = finding.details["evidence"]
    assert evidence["settled"] == 6 and evidence["transfer"]["quantity"] == 10
    assert "外地某药店" in finding.display_summary()


def test_sv_f09_outside_transfer_small_late_or_same_owner_raises_nothing() -> None:
    w = world()
    transfer_in(w, 10, local(2027, 5, 8, 10), CounterpartyKind.SAME_OWNER)
    transfer_in(w, 10, local(2027, 4, 20, 10))  # twenty days before the sales
    transfer_in(w, 20, local(2027, 5, 9, 10))  # 6 of 20 is not more than half
    sell_qty(w, 6)
    assert rule_scan("SV-F09") == 0
    assert not found("SV-F09")


def test_sv_f09_outside_transfer_days_and_share_are_programme_data() -> None:
    w = world()
    transfer_in(w, 10, local(2027, 5, 8, 10))
    sell_qty(w, 6)
    thresholds("SV-F09", days=1)
    assert rule_scan("SV-F09") == 0
    SupervisionRule.objects.filter(rule_id="SV-F09").update(watermark={})
    thresholds("SV-F09", days=7, share=0.7)
    assert rule_scan("SV-F09") == 0
    SupervisionRule.objects.filter(rule_id="SV-F09").update(watermark={})
    thresholds("SV-F09", share=0.5)
    assert rule_scan("SV-F09") == 1


def test_sv_f09_outside_transfer_is_idempotent_incremental_and_bounded() -> None:
    w = world()
    transfer_in(w, 10, local(2027, 5, 8, 10))
    assert rule_scan("SV-F09") == 0  # no sales yet
    p = sell_qty(w, 6)
    assert rule_scan("SV-F09") == 1  # the new sales look back at the transfer
    assert rule_scan("SV-F09") == 0
    sell_qty(w, 2, prescription=p)
    assert rule_scan("SV-F09") == 0
    transfer_in(w, 4, local(2027, 5, 9, 10))  # entered late: the sales after it are old
    assert rule_scan("SV-F09") == 1
    assert len(found("SV-F09")) == 2
    rule = RULES["SV-F09"]
    scope = Scope(watermark={}, period=None, parameters=parameters_of(rule))
    with CaptureQueriesContext(connection) as queries:
        hits = rule.scan(scope)
    assert len(hits) == 2 and len(queries) == 10  # 5 per signal, however many rows
    dry = [
        h
        for h in rules_dry_run(period=(local(2027, 5, 1), local(2027, 6, 1)))
        if h.rule_id == "SV-F09"
    ]
    assert len(dry) == 2 and all(h.exists for h in dry)
