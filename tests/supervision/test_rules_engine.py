"""The supervision rules engine (issue 17.1): each rule fires in its world and not in the
other; scans are idempotent and incremental; refusals outlive the refused sale; the rules
page is scoped and its dry run writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Role
from core.errors import RuleViolation
from inventory.models import Stocktake
from prescriptions.models import CounterRefusal
from prescriptions.services import dispensing_submit
from prescriptions.services.refusals import counter_refusal_record
from programmes.models import Programme
from supervision import rules as rules_package
from supervision.engine import rule_scan, rules_dry_run, rules_scan
from supervision.models import Finding, SupervisionRule
from supervision.rules.dispensings import _bursts
from tests.factories import member
from tests.factories.patients import bureau
from tests.factories.prescriptions import World, world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"


def sell(w: World, **kw: Any) -> Any:
    p = kw.pop("prescription", None) or w.prescription()
    lines = kw.pop("lines", None) or [w.line(p, 1)]
    kw.setdefault("actor", w.pharmacist)
    return dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=lines,
        identity_confirmed=True,
        patient_signed=True,
        **kw,
    )


def refusals(w: World, rule_id: str, n: int, *, at: datetime | None = None) -> None:
    for i in range(n):
        counter_refusal_record(
            rule_id=rule_id,
            pharmacy=w.pharmacy,
            at=(at or timezone.now()) + timedelta(minutes=i),
            actor=w.pharmacist,
        )


def found(rule_id: str) -> list[Finding]:
    return list(Finding.objects.filter(rule_id=rule_id))


def resale(w: World) -> str:
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        first = w.line(p, 1)
        sell(w, prescription=p, lines=[first])
        again = w.line(p, 1)
        again.traceability_codes = list(first.traceability_codes)
        with pytest.raises(RuleViolation):
            sell(w, prescription=p, lines=[again])
    return first.traceability_codes[0]


# --- SV-F01 resold code --------------------------------------------------------------------


def test_sv_f01_a_resold_code_refused_at_the_counter_becomes_a_finding_with_both_sales() -> None:
    w = world()
    code = resale(w)
    assert rules_scan()["SV-F01"] == 1
    (finding,) = found("SV-F01")
    assert finding.pharmacy == w.pharmacy and code in finding.display_summary()
    evidence = finding.details["evidence"]
    assert evidence["code"] == code
    assert evidence["first_sale"]["pharmacy"] == w.pharmacy.organisation.name
    assert evidence["attempt"]["at"]


def test_sv_f01_an_ordinary_sale_raises_nothing() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    rules_scan()
    assert not found("SV-F01")


# --- Attempts: SV-F02 swaps, SV-F05 hospitalised, SV-F06 entitlement, SV-F13 price ----------


def test_sv_f02_repeated_swap_attempts_become_a_finding() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        swapped = w.line(p, 1)
        swapped.drug_id = w.drug.pk + 999
        with pytest.raises(RuleViolation) as exc:
            sell(w, prescription=p, lines=[swapped])
        assert exc.value.rule_id == "HY-G10"
        assert CounterRefusal.objects.filter(rule_id="HY-G10").count() == 1  # kept by the counter
        refusals(w, "HY-G10", 1)
        rules_scan()
    (finding,) = found("SV-F02")
    assert finding.details["evidence"]["refusals"] == 2


def test_sv_f02_a_single_swap_attempt_is_not_a_finding() -> None:
    w = world()
    refusals(w, "HY-G10", 1)
    rules_scan()
    assert not found("SV-F02")


def test_sv_f05_repeated_purchases_during_a_hospital_stay_become_a_finding() -> None:
    w = world()
    refusals(w, "HY-G08", 3)
    rules_scan()
    (finding,) = found("SV-F05")
    assert "3" in finding.display_summary()


def test_sv_f05_refusals_of_another_kind_do_not_count() -> None:
    w = world()
    refusals(w, "HY-G10", 3)
    rules_scan()
    assert not found("SV-F05")


def test_sv_f06_repeated_purchases_beyond_the_entitlement_become_a_finding() -> None:
    w = world()
    refusals(w, "HY-G07", 2)
    rules_scan()
    assert len(found("SV-F06")) == 1


def test_sv_f06_attempts_in_different_months_do_not_add_up() -> None:
    w = world()
    refusals(w, "HY-G07", 1, at=datetime(2027, 4, 15, 10, tzinfo=timezone.get_current_timezone()))
    refusals(w, "HY-G07", 1, at=datetime(2027, 5, 15, 10, tzinfo=timezone.get_current_timezone()))
    rules_scan()
    assert not found("SV-F06")


def test_sv_f13_repeated_prices_above_the_cap_become_a_finding() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        with pytest.raises(RuleViolation) as exc:
            sell(w, prescription=p, lines=[w.line(p, 1, price="12.00")])
        refusals(w, exc.value.rule_id, 1)
    rules_scan()
    assert len(found("SV-F13")) == 1


def test_sv_f13_the_threshold_is_programme_data() -> None:
    w = world()
    hy = Programme.objects.get(code="HY-TM")
    params = {**hy.supervision_parameters, "SV-F13": {"attempts": 5}}
    Programme.objects.filter(pk=hy.pk).update(supervision_parameters=params)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        for _i in range(2):
            with pytest.raises(RuleViolation):
                sell(w, prescription=p, lines=[w.line(p, 1, price="12.00")])
    rules_scan()
    assert not found("SV-F13")


# --- SV-F03 imbalance, HY-E06 overdue (the ledger's marks) ---------------------------------


def stocktake(w: World, **fields: Any) -> Stocktake:
    return Stocktake.objects.create(
        pharmacy=w.pharmacy,
        programme=w.hy,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        due_on=date(2027, 4, 15),
        **fields,
    )


def test_sv_f03_a_submitted_imbalanced_stocktake_becomes_a_priority_finding() -> None:
    w = world()
    stocktake(w, is_imbalanced=True, submitted_at=timezone.now())
    rules_scan()
    (finding,) = found("SV-F03")
    assert finding.priority == "priority_inspection"


def test_sv_f03_a_balanced_stocktake_raises_nothing() -> None:
    w = world()
    stocktake(w, is_imbalanced=False, submitted_at=timezone.now())
    rules_scan()
    assert not found("SV-F03")


def test_hy_e06_an_escalated_overdue_stocktake_becomes_a_finding() -> None:
    w = world()
    stocktake(w, escalated_at=timezone.now())
    rules_scan()
    assert len(found("HY-E06")) == 1


def test_hy_e06_a_stocktake_not_escalated_raises_nothing() -> None:
    w = world()
    stocktake(w)
    rules_scan()
    assert not found("HY-E06")


# --- SV-F04 burst, SV-F14 recorder off the staff list ---------------------------------------


def test_sv_f04_a_burst_of_patients_within_minutes() -> None:
    t0 = timezone.now()
    rows = [{"id": i, "patient_id": i, "dispensed_at": t0 + timedelta(minutes=i)} for i in range(5)]
    assert len(_bursts(rows, {4}, patients=5, minutes=10)) == 1
    assert _bursts(rows, {4}, patients=5, minutes=3) == []  # spread over more than 3 minutes
    same = [{**r, "patient_id": 1} for r in rows]
    assert _bursts(same, {4}, patients=5, minutes=10) == []  # one patient five times


def test_sv_f04_fires_on_real_sales_under_the_programme_threshold() -> None:
    w = world()
    hy = Programme.objects.get(code="HY-TM")
    params = {**hy.supervision_parameters, "SV-F04": {"patients": 1, "minutes": 10}}
    Programme.objects.filter(pk=hy.pk).update(supervision_parameters=params)
    with time_machine.travel(MAY, tick=False):
        sell(w)
    rules_scan()
    assert len(found("SV-F04")) == 1


def test_sv_f04_default_threshold_one_sale_is_no_burst() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    rules_scan()
    assert not found("SV-F04")


def test_sv_f14_a_sale_recorded_by_an_account_off_the_staff_list() -> None:
    w = world()
    own = w.pharmacy.staff.get(user=w.pharmacist)
    outsider = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    with time_machine.travel(MAY, tick=False):
        d = sell(w, actor=outsider, reviewer_id=own.pk)
    rules_scan()
    (finding,) = found("SV-F14")
    assert d.number in finding.display_summary()
    assert finding.details["evidence"]["recorded_by"] == outsider.username


def test_sv_f14_a_sale_by_the_staff_raises_nothing() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)
    rules_scan()
    assert not found("SV-F14")


# --- Engine: idempotent, incremental, rendered in the reader's language, off ----------------


def test_sv_f01_scanning_twice_raises_the_finding_once() -> None:
    w = world()
    resale(w)
    assert rule_scan("SV-F01") == 1
    SupervisionRule.objects.filter(rule_id="SV-F01").update(watermark={})  # even from scratch
    assert rule_scan("SV-F01") == 0
    assert len(found("SV-F01")) == 1
    row = SupervisionRule.objects.get(rule_id="SV-F01")
    assert row.hits_total == 1 and row.last_run_at is not None


def test_sv_f02_second_scan_reads_only_new_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    w = world()
    refusals(w, "HY-G10", 2)
    rules_scan()
    read: list[int] = []
    original = rules_package.attempts.refusals_new

    def spy(**kw: Any) -> list[dict[str, Any]]:
        rows = original(**kw)
        read.extend(r["id"] for r in rows)
        return rows

    monkeypatch.setattr(rules_package.attempts, "refusals_new", spy)
    rule_scan("SV-F02")
    assert read == []
    refusals(w, "HY-G10", 1)
    rule_scan("SV-F02")
    assert read == [CounterRefusal.objects.latest("id").pk]
    assert len(found("SV-F02")) == 1  # the same month's finding, not a second one


def test_sv_f05_summary_is_rendered_in_the_readers_language() -> None:
    w = world()
    refusals(w, "HY-G08", 2)
    rules_scan()
    (finding,) = found("SV-F05")
    with override("en"):
        english = finding.display_summary()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english.replace(w.pharmacy.name, ""))


def test_sv_f05_a_disabled_rule_does_not_run() -> None:
    w = world()
    SupervisionRule.objects.update_or_create(rule_id="SV-F05", defaults={"enabled": False})
    refusals(w, "HY-G08", 2)
    rules_scan()
    assert not found("SV-F05")


@pytest.mark.django_db(transaction=True)
def test_sv_f01_the_refusal_outlives_the_rolled_back_sale() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        first = w.line(p, 1)
        sell(w, prescription=p, lines=[first])
        again = w.line(p, 1)
        again.traceability_codes = list(first.traceability_codes)
        with pytest.raises(RuleViolation), transaction.atomic():
            sell(w, prescription=p, lines=[again])
    refusal = CounterRefusal.objects.get(rule_id="GY-E02")
    assert refusal.traceability_code == first.traceability_codes[0]
    rules_scan()
    assert len(found("SV-F01")) == 1


# --- The rules page -------------------------------------------------------------------------


def test_sv_rules_page_lists_rules_and_its_dry_run_writes_nothing() -> None:
    w = world()
    refusals(w, "HY-G08", 2)
    reviewer = login(Client(), member(Role.BUREAU_REVIEWER, organisation=bureau()))
    today = timezone.localdate()
    html = reviewer.get(
        "/supervision/rules/", {"from": today.isoformat(), "until": today.isoformat()}
    ).content.decode()
    assert "SV-F01" in html and "SV-F05" in html and "dry-run" in html
    assert not Finding.objects.exists()
    assert not SupervisionRule.objects.exclude(watermark={}).exists()
    start = timezone.now() - timedelta(days=1)
    hits = rules_dry_run(period=(start, start + timedelta(days=2)))
    assert [h.rule_id for h in hits] == ["SV-F05"]
    assert not Finding.objects.exists()


def test_sv_rules_page_outsiders_get_404(outsider_bureau_admin: Any) -> None:
    world()
    pharmacy_user = login(Client(), member(Role.PHARMACIST))
    assert pharmacy_user.get("/supervision/rules/").status_code == 404
    hy = Programme.objects.get(code="HY-TM")
    other = login(Client(), outsider_bureau_admin)
    url = f"/supervision/rules/SV-F13/programmes/{hy.pk}/"
    assert other.post(url, {"attempts": "9", "reason": "试"}).status_code == 404
    admin = login(Client(), member(Role.BUREAU_ADMIN, organisation=bureau()))
    assert admin.post("/supervision/rules/SV-X99/toggle/", {"reason": "试"}).status_code == 404


def test_sv_f13_admin_edits_thresholds_and_toggles_with_a_reason() -> None:
    hy = Programme.objects.get(code="HY-TM")
    admin = login(Client(), member(Role.BUREAU_ADMIN, organisation=bureau()))
    url = f"/supervision/rules/SV-F13/programmes/{hy.pk}/"
    admin.post(url, {"attempts": "4", "reason": ""})
    hy.refresh_from_db()
    assert hy.supervision_parameters.get("SV-F13", {}).get("attempts") != 4
    # SV-F13 has two signals (test_rules_more): the form edits the thresholds of both.
    admin.post(
        url, {"attempts": "4", "cap_percent": "90", "min_lines": "20", "reason": "本季度试行"}
    )
    hy.refresh_from_db()
    assert hy.supervision_parameters["SV-F13"] == {
        "attempts": 4,
        "cap_percent": 90,
        "min_lines": 20,
    }
    assert hy.history.first().history_change_reason == "本季度试行"
    # Switching a rule off is confirmed first, naming the consequence (issue 16.3).
    asked = admin.post("/supervision/rules/SV-F13/toggle/", {"enabled": "0", "reason": "暂停"})
    assert asked.status_code == 200 and 'data-testid="consequence"' in asked.content.decode()
    assert "不再按此规则提出核查线索" in asked.content.decode()
    assert not SupervisionRule.objects.filter(rule_id="SV-F13", enabled=False).exists()
    done = admin.post(
        "/supervision/rules/SV-F13/toggle/",
        {"enabled": "0", "reason": "暂停", "confirmed": "1"},
        follow=True,
    )
    assert "可随时在本页重新启用" in done.content.decode()
    row = SupervisionRule.objects.get(rule_id="SV-F13")
    assert not row.enabled and row.history.first().history_change_reason == "暂停"
