"""The eligibility report: each condition explained with its rule ID and data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accreditation.eligibility import FAIL, ONSITE, PASS, Condition, eligibility_report
from inventory.models import MovementKind
from programmes.models import Programme
from tests.factories import accreditation as h
from tests.factories.inventory import DrugFactory, at, book

pytestmark = pytest.mark.django_db
ON = date(2026, 3, 2)


def _by_rule(conditions: list[Condition]) -> dict[str, Condition]:
    return {c.rule_id: c for c in conditions}


def test_eligible_pharmacy_passes_every_hy_condition_but_an_empty_ledger_fails_stock() -> None:
    report = _by_rule(eligibility_report(pharmacy=h.pharmacy(), programme=h.hy(), on=ON))
    assert set(report) == {
        "HY-A01",
        "HY-A02",
        "HY-A03",
        "HY-A04",
        "HY-A05",
        "HY-A06",
        "HY-A07",
        "HY-A08",
        "HY-A09",
        "HY-E04",
        "HY-C05",
    }
    assert {r: c.outcome for r, c in report.items() if c.outcome != PASS} == {
        "HY-A07": ONSITE,
        "HY-A08": ONSITE,
        "HY-A09": FAIL,
        "HY-E04": FAIL,
    }
    # Stock conditions come from the ledger: nothing in stock yet.
    assert "要求 ≥ 90%" in report["HY-A09"].data and "90%以上" in str(report["HY-A09"].label)
    assert not report["HY-A09"].blocks
    assert "95%以上" in str(report["HY-E04"].label)
    assert "在岗执业药师 2 名" in report["HY-A05"].data


def test_hy_a03_a04_a06_a07_a08_flag_missing_declarations_without_blocking() -> None:
    pharmacy = h.pharmacy(
        quality_system=False,
        management_rules=False,
        network_link=False,
        face_recognition=False,
        area_rest=False,
    )
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.hy(), on=ON))
    for rule in ("HY-A03", "HY-A04", "HY-A06", "HY-A07", "HY-A08"):
        assert report[rule].outcome == FAIL, rule
        assert not report[rule].blocks
    assert "休息区：否" in report["HY-A08"].data


def test_hy_a04_names_the_missing_post() -> None:
    pharmacy = h.pharmacy()
    pharmacy.staff.filter(post="delivery").update(left_on=date(2026, 1, 1))
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.hy(), on=ON))
    assert report["HY-A04"].outcome == FAIL and "送货员" in report["HY-A04"].data
    pharmacy.staff.filter(post="delivery").update(left_on=None)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.hy(), on=ON))
    assert report["HY-A04"].outcome == PASS


def test_hy_e05_video_kept_less_than_two_years_fails_monitoring() -> None:
    short = h.pharmacy(video_retention_days=365)
    report = _by_rule(eligibility_report(pharmacy=short, programme=h.hy(), on=ON))
    assert report["HY-A07"].outcome == FAIL and "要求 730 天" in report["HY-A07"].data
    # the same 365 days satisfy Guiyang's six months (GY-A03)
    report = _by_rule(eligibility_report(pharmacy=short, programme=h.gy(), on=ON))
    assert report["GY-A03"].outcome == ONSITE


def test_gy_a01_requires_the_insurance_e_voucher() -> None:
    pharmacy = h.pharmacy(region_code="520100", e_voucher=False)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A01"].outcome == FAIL
    # HY-A06 does not ask for it
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.hy(), on=ON))
    assert report["HY-A06"].outcome == PASS


def test_gy_a03_gy_e03_need_24_hour_video_with_real_time_upload() -> None:
    pharmacy = h.pharmacy(region_code="520100", video_24h=False)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A03"].outcome == FAIL
    pharmacy.video_24h = True
    pharmacy.video_realtime_upload = False
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A03"].outcome == FAIL


def test_gy_a02_owned_premises_need_no_lease_and_gy_a05_needs_a_separate_area() -> None:
    pharmacy = h.pharmacy(
        region_code="520100",
        premises_tenure="owned",
        lease_ends_on=None,
        insurance_drug_area=False,
    )
    # The whole (active) catalogue is in stock, so the separate area is the only GY-A05 gap.
    book(
        pharmacy, DrugFactory.create(insurance_code="GYA050001"), MovementKind.PURCHASE, 10, at(ON)
    )
    report = eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON)
    gy_a02 = _by_rule(report)["GY-A02"]
    assert gy_a02.outcome == PASS and "自有产权" in gy_a02.data
    # GY-A05 is two conditions: the separate area (the only one failing here) and the stock.
    gy_a05 = [c for c in report if c.rule_id == "GY-A05"]
    assert [c.data for c in gy_a05 if c.outcome == FAIL] == ["医保药品分区：否"]
    assert any(c.outcome == PASS and "在库目录内药品 1 / 1" in c.data for c in gy_a05)
    pharmacy.insurance_drug_area = True
    report = eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON)
    assert all(c.outcome == PASS for c in report if c.rule_id == "GY-A05")
    # GY-A02: the same premises leased without a lease date fail
    pharmacy.premises_tenure = "leased"
    by_rule = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert by_rule["GY-A02"].outcome == FAIL and by_rule["GY-A02"].blocks


def test_gy_a02_lease_must_run_through_12_months_from_the_day() -> None:
    # ON = 2 March 2026: a 12-month lease period's last day is 2 March 2027 (Civil Code).
    pharmacy = h.pharmacy(
        region_code="520100", premises_tenure="leased", lease_ends_on=date(2027, 3, 2)
    )
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A02"].outcome == PASS and "2027-03-02" in report["GY-A02"].data
    pharmacy.lease_ends_on = date(2027, 3, 1)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A02"].outcome == FAIL and report["GY-A02"].blocks
    assert "12个月" in str(report["GY-A02"].label)
    pharmacy.lease_ends_on = None
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A02"].outcome == FAIL and "未填写" in report["GY-A02"].data


def test_gy_a02_without_a_minimum_term_a_lease_running_today_passes() -> None:
    Programme.objects.filter(code="GY-PT").update(min_lease_months=None)
    pharmacy = h.pharmacy(region_code="520100", premises_tenure="leased", lease_ends_on=ON)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A02"].outcome == PASS
    pharmacy.lease_ends_on = ON - timedelta(days=1)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A02"].outcome == FAIL


def test_gy_a03_undeclared_video_retention_counts_as_none_kept() -> None:
    pharmacy = h.pharmacy(region_code="520100", video_retention_days=None)
    report = _by_rule(eligibility_report(pharmacy=pharmacy, programme=h.gy(), on=ON))
    assert report["GY-A03"].outcome == FAIL
    assert "视频保存 0 天（要求 183 天）" in report["GY-A03"].data
