"""GY-PT (employee general outpatient): platform price cap, no devices or consumables, and the
settlement split from the programme's deductible, fund share and yearly cap (GY-D03)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from accreditation.models import Designation
from core.errors import DomainError, RuleViolation
from inventory.models import ItemCategory, PriceCap
from prescriptions.models import Dispensing, PrescriptionSource
from prescriptions.services import (
    ItemInput,
    dispensing_return,
    dispensing_submit,
    prescription_create,
)
from programmes.models import Programme
from programmes.services import programme_update_parameters
from tests.factories import member
from tests.factories.prescriptions import MAY, World, gy_hospital, gy_world

pytestmark = pytest.mark.django_db


def sell(w: World, gy: Programme, price: str) -> None:
    p = prescription_create(
        programme=gy,
        patient=w.patient,
        disease=None,
        source=PrescriptionSource.PORTAL,
        items=[ItemInput(w.drug, "片剂", "qd", 10, 10)],
        issued_on=date(2027, 5, 10),
        valid_days=3,
        actor=w.physician,
        institution=gy_hospital(),
    )
    dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, 1, price=price)],
        actor=w.pharmacist,
        identity_confirmed=True,
        patient_signed=True,
    )


def test_gy_c01_sale_price_at_most_the_platform_listed_price() -> None:
    w, gy = gy_world()
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            sell(w, gy, "8.01")
        assert exc.value.rule_id == "GY-C01"
        sell(w, gy, "8.00")


def test_gy_c02_devices_and_consumables_are_outside_the_cover() -> None:
    w, gy = gy_world()
    with time_machine.travel(MAY, tick=False):
        w.drug.category = ItemCategory.DEVICE
        w.drug.save()
        with pytest.raises(RuleViolation) as exc:
            sell(w, gy, "8.00")
        assert exc.value.rule_id == "GY-C02" and "医疗器械" in str(exc.value.message)
        w.drug.category = ItemCategory.DRUG
        w.drug.save()
        sell(w, gy, "8.00")


def buy(w: World, gy: Programme, qty: int, price: str = "5.00", **kw: object) -> Dispensing:
    """A general-outpatient purchase (no disease) of `qty` units at `price`."""
    p = prescription_create(
        programme=gy,
        patient=w.patient,
        disease=None,
        source=PrescriptionSource.PORTAL,
        items=[ItemInput(w.drug, "片剂", "qd", qty, 10)],
        issued_on=timezone.localdate(),
        valid_days=3,
        actor=w.physician,
        institution=gy_hospital(),
    )
    return dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, qty, price=price)],
        actor=w.pharmacist,
        identity_confirmed=True,
        patient_signed=True,
        **kw,  # type: ignore[arg-type]
    )


def test_gy_d03_fund_pays_the_programme_ratio_above_the_yearly_deductible() -> None:
    """GY-PT demo parameters: 200 元 deductible, 50 %, 2,000 元 a year."""
    w, gy = gy_world()
    assert gy.outpatient_amounts_are_demo
    assert (gy.outpatient_deductible, gy.outpatient_fund_share_pct) == (200, 50)
    with time_machine.travel(MAY, tick=False):
        first = buy(w, gy, 20)  # 100 元, all below the deductible
        assert (first.fund_share, first.personal_share) == (Decimal("0.00"), Decimal("100.00"))
        second = buy(w, gy, 60)  # 300 元: 100 still below, 200 covered at 50 %
        assert (second.fund_share, second.personal_share) == (Decimal("100.00"), Decimal("200.00"))
        third = buy(w, gy, 3, price="3.33")  # 9.99 元, all covered: 4.995 → 5.00 (half up)
        assert (third.fund_share, third.personal_share) == (Decimal("5.00"), Decimal("4.99"))


def test_gy_d03_a_returned_purchase_no_longer_counts_towards_the_deductible() -> None:
    w, gy = gy_world()
    with time_machine.travel(MAY, tick=False):
        first = buy(w, gy, 40)  # 200 元: the whole deductible
        dispensing_return(dispensing=first, actor=w.pharmacist, reason="患者退药")
        again = buy(w, gy, 40)
    assert again.fund_share == Decimal("0.00") and again.personal_share == Decimal("200.00")


def test_gy_d03_fund_share_stops_at_the_yearly_cap_and_restarts_next_year() -> None:
    w, gy = gy_world()
    admin = member(Role.BUREAU_ADMIN)
    gy = programme_update_parameters(
        programme=gy,
        actor=admin,
        changes={"outpatient_deductible": Decimal("0"), "outpatient_annual_cap": Decimal("30")},
        reason="测试年度限额",
    )
    with time_machine.travel(MAY, tick=False):
        first = buy(w, gy, 10)  # 50 元 → 25 元 fund
        assert first.fund_share == Decimal("25.00")
        capped = buy(w, gy, 10)  # 25 元 more would pass the 30 元 cap: 5 元 left
        assert (capped.fund_share, capped.personal_share) == (Decimal("5.00"), Decimal("45.00"))
        none_left = buy(w, gy, 2)
        assert none_left.fund_share == Decimal("0.00")
    Designation.objects.filter(pharmacy=w.pharmacy, programme=gy).update(ends_on=date(2028, 12, 31))
    with time_machine.travel("2028-01-10 10:00 +0800", tick=False):
        PriceCap.objects.filter(drug=w.drug).update(effective_on=date(2027, 1, 1))
        next_year = buy(w, gy, 10)
    assert next_year.fund_share == Decimal("25.00")


def test_hy_g10_gy_personal_share_is_collected_in_full() -> None:
    w, gy = gy_world()
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            buy(w, gy, 60, personal_paid=Decimal("249.99"))  # personal share 300 - 50 = 250
        assert exc.value.rule_id == "HY-G10" and "250.00" in str(exc.value)
        done = buy(w, gy, 60, personal_paid=Decimal("250.00"))
    assert done.fund_share == Decimal("50.00")


def test_gy_d03_outpatient_parameters_are_validated_and_kept_in_history() -> None:
    gy = Programme.objects.get(code="GY-PT")
    admin = member(Role.BUREAU_ADMIN)
    with pytest.raises(DomainError) as exc:
        programme_update_parameters(
            programme=gy, actor=admin, changes={"outpatient_fund_share_pct": None}, reason="x"
        )
    assert "outpatient_fund_share_pct" in exc.value.errors
    with pytest.raises(DomainError):
        programme_update_parameters(
            programme=gy,
            actor=admin,
            changes={"outpatient_fund_share_pct": Decimal("101")},
            reason="x",
        )
    gy.refresh_from_db()
    assert gy.outpatient_fund_share_pct == Decimal("50")
    changed = programme_update_parameters(
        programme=gy,
        actor=admin,
        changes={"outpatient_fund_share_pct": Decimal("60"), "outpatient_amounts_are_demo": False},
        reason="按市医保局文件核定",
    )
    latest = changed.history.first()
    assert latest.outpatient_fund_share_pct == Decimal("60")
    assert latest.history_user == admin and latest.history_change_reason == "按市医保局文件核定"
    hy = Programme.objects.get(code="HY-TM")
    assert hy.outpatient_fund_share_pct is None  # 特门 pays per disease
