"""The rest of the supervision catalogue (issue 17.1): SV-F11 year-end rush and SV-F13's
second signal (at the cap on nearly every line); each fires in its world and not in the
other, thresholds are programme data, scans are idempotent and incremental."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from prescriptions.models import Dispensing
from programmes.models import Programme
from supervision.engine import rule_scan, rules_dry_run, rules_scan
from supervision.models import Finding, SupervisionRule
from supervision.rules import RULES
from supervision.rules.base import Signals
from tests.factories.prescriptions import World, world
from tests.supervision.test_rules_engine import MAY, refusals, sell

pytestmark = pytest.mark.django_db


def found(rule_id: str) -> list[Finding]:
    return list(Finding.objects.filter(rule_id=rule_id).order_by("id"))


def thresholds(rule_id: str, **values: Any) -> None:
    hy = Programme.objects.get(code="HY-TM")
    params = {**hy.supervision_parameters}
    params[rule_id] = {**params.get(rule_id, {}), **values}
    Programme.objects.filter(pk=hy.pk).update(supervision_parameters=params)


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.get_current_timezone())


# --- SV-F11 year-end rush ------------------------------------------------------------------


def monthly(w: World, funds: dict[int, str], base: Dispensing | None = None) -> Dispensing:
    """One settled sale a month of 2027 with the given fund share (a real sale, cloned; the
    real one becomes the first month)."""
    if base is None:
        with time_machine.travel(MAY, tick=False):
            base = sell(w)
        first = True
    else:
        first = False
    for month, fund in funds.items():
        base.pk = base.pk if first else None
        first = False
        base.number = f"{base.number[:24]}-{month:02d}-{len(fund)}{fund[:3]}"
        base.idempotency_key = None
        base.dispensed_at = local(2027, month, 15, 10)
        base.fund_share = Decimal(fund)
        base.save()
    return base


QUIET = dict.fromkeys(range(5, 12), "100.00")


def test_sv_f11_a_december_far_above_the_monthly_series_becomes_a_finding() -> None:
    w = world()
    monthly(w, {**QUIET, 6: "110.00", 12: "900.00"})
    rules_scan()
    (finding,) = found("SV-F11")
    assert finding.pharmacy == w.pharmacy
    evidence = finding.details["evidence"]
    assert evidence["december"] == "900.00" and "2027-12" in evidence["monthly_fund"]
    assert "2027" in finding.display_summary() and "900.00" in finding.display_summary()


def test_sv_f11_an_ordinary_december_raises_nothing() -> None:
    w = world()
    monthly(w, {**QUIET, 6: "130.00", 12: "120.00"})
    rules_scan()
    assert not found("SV-F11")


def test_sv_f11_too_short_a_series_raises_nothing_and_min_months_is_programme_data() -> None:
    w = world()
    monthly(w, {10: "100.00", 11: "100.00", 12: "900.00"})
    rules_scan()
    assert not found("SV-F11")
    thresholds("SV-F11", min_months=2)
    SupervisionRule.objects.filter(rule_id="SV-F11").update(watermark={})
    rules_scan()
    assert len(found("SV-F11")) == 1


def test_sv_f11_is_idempotent_and_incremental() -> None:
    w = world()
    base = monthly(w, {**QUIET, 12: "900.00"})
    assert rule_scan("SV-F11") == 1
    assert rule_scan("SV-F11") == 0
    monthly(
        w, {12: "50.00"}, base
    )  # more December sales: the same pharmacy and year, no second one
    assert rule_scan("SV-F11") == 0
    assert len(found("SV-F11")) == 1
    dry = [
        h
        for h in rules_dry_run(period=(local(2027, 12, 1), local(2028, 1, 1)))
        if h.rule_id == "SV-F11"
    ]
    assert len(dry) == 1 and dry[0].exists


# --- SV-F13 at the cap on nearly every line ------------------------------------------------


def sales_at(w: World, *prices: str, prescription: Any = None) -> Any:
    """Sales of one unit at each price (the cap is 9.50) on one prescription (HY-E02: one a
    month), returned for more sales on it."""
    with time_machine.travel(MAY, tick=False):
        p = prescription or w.prescription()
        for price in prices:
            sell(w, prescription=p, lines=[w.line(p, 1, price=price)])
    return p


def test_sv_f13_is_one_rule_of_two_signals() -> None:
    rule = RULES["SV-F13"]
    assert isinstance(rule, Signals) and {p.signal for p in rule.parts} == {"", "cap"}
    assert {"attempts", "cap_percent", "min_lines"} <= set(rule.defaults)


def test_sv_f13_selling_at_the_cap_on_nearly_every_line_becomes_a_finding() -> None:
    w = world()
    thresholds("SV-F13", min_lines=3)
    sales_at(w, *["9.50"] * 3)
    rules_scan()
    (finding,) = found("SV-F13")
    assert finding.details["params"]["signal"] == "cap"
    assert finding.details["evidence"]["at_cap"] == 3
    assert len(finding.details["evidence"]["lines_at_cap"]) == 3
    assert "2027-05" in finding.display_summary() and "100%" in finding.display_summary()


def test_sv_f13_prices_below_the_cap_raise_nothing() -> None:
    w = world()
    thresholds("SV-F13", min_lines=3)
    sales_at(w, "9.50", "9.50", "9.00", "9.00")  # half at the cap, below the share
    rules_scan()
    assert not found("SV-F13")


def test_sv_f13_too_few_lines_raise_nothing_by_default() -> None:
    w = world()
    sales_at(w, *["9.50"] * 3)  # the starting min_lines is 30
    rules_scan()
    assert not found("SV-F13")


def test_sv_f13_cap_signal_is_idempotent_and_keeps_apart_from_the_attempts() -> None:
    w = world()
    thresholds("SV-F13", min_lines=3)
    p = sales_at(w, *["9.50"] * 3)
    assert rule_scan("SV-F13") == 1
    sales_at(w, "9.50", prescription=p)
    assert rule_scan("SV-F13") == 0
    refusals(w, "HY-B02", 2, at=local(2027, 5, 20, 10))
    assert rule_scan("SV-F13") == 1
    summaries = [f.display_summary() for f in found("SV-F13")]
    assert "限价销售" in summaries[0] and "被拒绝结算" in summaries[1]
    watermark = SupervisionRule.objects.get(rule_id="SV-F13").watermark
    assert {"refusal", "dispensing_line"} <= set(watermark)
