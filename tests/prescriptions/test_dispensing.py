"""Every counter check, allowed and refused, with its rule ID."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from accounts.models import Role
from accreditation.models import Designation
from core.errors import RuleViolation
from inventory.models import DiseaseDrug, ItemCategory, StockBatch, TraceabilityCode
from patients.models import ProxyGround, ProxyMethod
from patients.services import proxy_authorise, stay_record
from prescriptions.models import (
    CounterRefusal,
    Dispensing,
    DispensingStatus,
    Prescription,
    PrescriptionKind,
    PrescriptionSource,
    QuotaAccount,
    QuotaEvent,
)
from prescriptions.selectors import quota_period_bounds, quota_status
from prescriptions.services import (
    ItemInput,
    LineInput,
    ProxyInput,
    dispensing_return,
    dispensing_submit,
    prescription_create,
)
from programmes.models import PeriodUnit, Programme
from tests.factories import member
from tests.factories.inventory import DrugFactory
from tests.factories.patients import county_window, hospital, resident_id
from tests.factories.prescriptions import MAY, World, png, submit, world

pytestmark = pytest.mark.django_db


def refused(
    rule: str, w: World, prescription: Prescription, lines: list[LineInput], **kw: Any
) -> RuleViolation:
    with pytest.raises(RuleViolation) as exc:
        submit(w, prescription, lines, **kw)
    assert exc.value.rule_id == rule
    return exc.value


def test_dispensing_settles_splits_and_books_the_sale() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        d = submit(w, p, [w.line(p, 10)])
    # 10 × 9.50 = 95.00; fund 70 % of it; the personal share is the rest (HY-G10)
    assert (d.total, d.fund_share, d.personal_share) == (
        Decimal("95.00"),
        Decimal("66.50"),
        Decimal("28.50"),
    )
    assert d.pharmacist == w.pharmacist and d.status == DispensingStatus.SETTLED
    w.batch.refresh_from_db()
    assert w.batch.quantity == 190
    assert p.items.get().remaining == 20
    assert TraceabilityCode.objects.filter(sold_in__isnull=False).count() == 10
    assert QuotaEvent.objects.get().amount == Decimal("95.00")


def test_hy_g07_quota_is_monthly_standard_times_months_since_start_and_refuses_beyond() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        # benefits from 1 May: May and June of Q2 → 2 × 100 元
        status = quota_status(enrolment=w.enrolment, on=date(2027, 5, 10))
        assert status.quota == Decimal("200.00")
        p = w.prescription(quantity=30)
        submit(w, p, [w.line(p, 20)])  # 190.00 — several purchases allowed
        p2 = w.prescription(quantity=30, kind=PrescriptionKind.LONG_TERM)  # 2nd this month
        err = refused("HY-G07", w, p2, [w.line(p2, 2)])  # 19.00 > 10.00 left
        assert "超出额度" in str(err.message)
        submit(w, p2, [w.line(p2, 1)])  # 9.50 fits
    assert QuotaAccount.objects.get().used == Decimal("199.50")


def test_hy_g07_nothing_carries_into_the_next_quarter() -> None:
    w = world()
    with time_machine.travel("2027-06-30 23:00 +0800", tick=False):
        p = w.prescription(quantity=30)
        submit(w, p, [w.line(p, 1)])
    with time_machine.travel("2027-07-01 09:00 +0800", tick=False):
        status = quota_status(enrolment=w.enrolment, on=date(2027, 7, 1))
        # a whole quarter: 3 × 100; the 190.50 unused in Q2 is not added
        assert (status.quota, status.used) == (Decimal("300.00"), Decimal("0.00"))
        p = w.prescription(quantity=40, kind=PrescriptionKind.LONG_TERM)  # 2nd within a month
        refused("HY-G07", w, p, [w.line(p, 32)])  # 304.00
        submit(w, p, [w.line(p, 31)])  # 294.50 at once is fine


def test_hy_g08_refuses_a_patient_in_hospital_and_allows_from_discharge_day() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        stay = stay_record(
            patient=w.patient, hospital=hospital(), admitted_on=date(2027, 5, 8), actor=None
        )
        p = w.prescription()
        err = refused("HY-G08", w, p, [w.line(p, 1)])
        assert "住院" in str(err.message)
        stay.discharged_on = date(2027, 5, 10)
        stay.save()
        submit(w, p, [w.line(p, 1)])


def test_hy_c06_refuses_at_an_undesignated_pharmacy() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        Designation.objects.filter(pharmacy=w.pharmacy).update(ends_on=date(2027, 5, 1))
        refused("HY-C06", w, p, [w.line(p, 1)])
        Designation.objects.filter(pharmacy=w.pharmacy).update(ends_on=date(2027, 12, 31))
        submit(w, p, [w.line(p, 1)])


def test_hy_g07_refuses_before_the_benefit_start_and_hy_g05_elsewhere() -> None:
    w = world()
    other = world(2)
    with time_machine.travel("2027-04-20 10:00 +0800", tick=False):
        p = w.prescription()
        err = refused("HY-G07", w, p, [w.line(p, 1)])
        assert "尚未开始" in str(err.message)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        # the patient chose w.pharmacy, not the other one
        with pytest.raises(RuleViolation) as exc:
            dispensing_submit(
                pharmacy=other.pharmacy,
                prescription=p,
                lines=[w.line(p, 1)],
                actor=other.pharmacist,
                identity_confirmed=True,
                patient_signed=True,
            )
        assert exc.value.rule_id == "HY-G05"
        submit(w, p, [w.line(p, 1)])


def test_hy_g07_quota_period_is_the_calendar_quarter_or_month_containing_the_day() -> None:
    w = world()  # 100 元 a month from 1 May 2027
    assert quota_period_bounds(programme=w.hy, on=date(2027, 5, 10)) == (
        date(2027, 4, 1),
        date(2027, 6, 30),
    )
    assert quota_period_bounds(programme=w.hy, on=date(2027, 12, 31)) == (
        date(2027, 10, 1),
        date(2027, 12, 31),
    )
    # A bureau that sets the period to a month (HY 第三章 六 "按月（季）购药")
    Programme.objects.filter(pk=w.hy.pk).update(quota_period=PeriodUnit.MONTH)
    monthly = Programme.objects.get(pk=w.hy.pk)
    assert quota_period_bounds(programme=monthly, on=date(2027, 5, 10)) == (
        date(2027, 5, 1),
        date(2027, 5, 31),
    )
    w.enrolment.disease.programme = monthly
    assert quota_status(enrolment=w.enrolment, on=date(2027, 6, 15)).quota == Decimal("100.00")


def test_hy_g07_benefits_apply_from_the_start_day_itself() -> None:
    w = world()  # benefits from 1 May 2027
    with time_machine.travel("2027-04-30 23:00 +0800", tick=False):
        p = w.prescription()
        refused("HY-G07", w, p, [w.line(p, 1)])
    with time_machine.travel("2027-05-01 08:00 +0800", tick=False):
        assert submit(w, p, [w.line(p, 1)]).status == DispensingStatus.SETTLED


def test_hy_e07_identity_must_be_confirmed_and_gy_d02_slip_signed() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        refused("HY-E07", w, p, [w.line(p, 1)], identity_confirmed=False)
        refused("GY-D02", w, p, [w.line(p, 1)], patient_signed=False)
        assert submit(w, p, [w.line(p, 1)]).patient_signed


def test_hy_e07_gy_d01_proxy_needs_ids_photo_and_authorisation() -> None:
    w = world()
    proxy_id = resident_id(77)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        refused("GY-D01", w, p, [w.line(p, 1)], proxy=ProxyInput("李四", "123", png()))
        refused("HY-G09", w, p, [w.line(p, 1)], proxy=ProxyInput("李四", proxy_id, png()))
        proxy_authorise(
            patient=w.patient,
            ground=ProxyGround.values[0],
            method=ProxyMethod.PROXY,
            valid_from=date(2027, 5, 1),
            actor=member(Role.WINDOW_CLERK, organisation=county_window()),
            organisation=county_window(),
            proxy_name="李四",
            proxy_resident_id=proxy_id,
            relationship="儿子",
        )
        refused("HY-E07", w, p, [w.line(p, 1)], proxy=ProxyInput("李四", proxy_id, None))
        d = submit(w, p, [w.line(p, 1)], proxy=ProxyInput("李四", proxy_id, png()))
    assert d.is_proxy and d.proxy_resident_id == proxy_id and d.purchase_list_photo
    assert d.patient.resident_id == w.patient.resident_id


def test_gy_d02_expired_prescription_is_refused() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()  # valid 3 days: 10–12 May
    with time_machine.travel("2027-05-12 10:00 +0800", tick=False):
        submit(w, p, [w.line(p, 1)])
    with time_machine.travel("2027-05-13 10:00 +0800", tick=False):
        refused("GY-D02", w, p, [w.line(p, 1)])


def test_gy_e02_only_an_active_physician_of_the_hospital_prescribes() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            prescription_create(
                programme=w.hy,
                patient=w.patient,
                disease=w.enrolment.disease,
                source=PrescriptionSource.PORTAL,
                items=[ItemInput(w.drug, "片剂", "qd", 10, 10)],
                issued_on=date(2027, 5, 10),
                valid_days=3,
                actor=w.pharmacist,
                institution=hospital(),
            )
        assert exc.value.rule_id == "GY-E02"
        p = w.prescription()
        # the physician leaves the hospital: the prescription can no longer be dispensed
        w.physician.memberships.update(is_active=False)
        refused("GY-E02", w, p, [w.line(p, 1)])
        w.physician.memberships.update(is_active=True)
        submit(w, p, [w.line(p, 1)])


def test_gy_d02_paper_prescription_needs_seal_image_and_prescriber() -> None:
    w = world()
    args = {
        "programme": w.hy,
        "patient": w.patient,
        "disease": w.enrolment.disease,
        "source": PrescriptionSource.PAPER,
        "items": [ItemInput(w.drug, "片剂", "qd", 10, 10)],
        "issued_on": date(2027, 5, 10),
        "valid_days": 3,
        "actor": w.pharmacist,
        "institution_name": "衡阳县人民医院",
        "physician_name": "张医生",
        "pharmacy": w.pharmacy,
    }
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            prescription_create(**args)  # type: ignore[arg-type]
        assert exc.value.rule_id == "GY-D02"
        p = prescription_create(**args, seal_image=png("seal.png"))  # type: ignore[arg-type]
        submit(w, p, [w.line(p, 1)])


def test_hy_e02_normal_30_days_long_term_90() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            w.prescription(days=31)
        assert exc.value.rule_id == "HY-E02"
        w.prescription(days=30)
        with pytest.raises(RuleViolation):
            w.prescription(days=91, kind=PrescriptionKind.LONG_TERM)
        w.prescription(days=90, kind=PrescriptionKind.LONG_TERM)


def test_hy_e02_partial_dispensing_tracks_what_is_left_and_refuses_more() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=5)
        submit(w, p, [w.line(p, 3)])
        assert p.items.get().remaining == 2
        refused("HY-E02", w, p, [w.line(p, 3)])
        submit(w, p, [w.line(p, 2)])
        assert p.items.get().remaining == 0


def test_hy_g10_drug_outside_scope_swaps_and_non_drugs_are_refused() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        line = w.line(p, 1)
        line.drug_id = DrugFactory.create(insurance_code="XC09AA0002").pk
        refused("HY-G10", w, p, [line])
        DiseaseDrug.objects.filter(drug=w.drug).delete()
        refused("HY-G10", w, p, [w.line(p, 1)])
        DiseaseDrug.objects.create(disease=w.enrolment.disease, drug=w.drug)
        w.drug.category = ItemCategory.HEALTH_FOOD
        w.drug.save()
        err = refused("HY-G10", w, p, [w.line(p, 1)])
        assert "保健食品" in str(err.message)
        w.drug.category = ItemCategory.DRUG
        w.drug.save()
        submit(w, p, [w.line(p, 1)])


def test_hy_g10_personal_share_is_never_waived() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        refused("HY-G10", w, p, [w.line(p, 10)], personal_paid=Decimal("0"))
        d = submit(w, p, [w.line(p, 10)], personal_paid=Decimal("28.50"))
    assert d.personal_share == Decimal("28.50")


def test_hy_b02_price_above_hospital_listed_less_5_pct_is_refused() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        err = refused("HY-B02", w, p, [w.line(p, 1, price="9.51")])
        assert "9.5000" in str(err.message)
        submit(w, p, [w.line(p, 1, price="9.50")])


def test_hy_b03_one_well_formed_code_per_unit() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        line = w.line(p, 2)
        line.traceability_codes = line.traceability_codes[:1]
        refused("HY-B03", w, p, [line])
        line = w.line(p, 1)
        line.traceability_codes = ["ABC123"]
        refused("HY-B03", w, p, [line])
        submit(w, p, [w.line(p, 2)])


def test_gy_e02_a_code_already_sold_is_refused_and_the_attempt_kept() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        first = w.line(p, 1)
        submit(w, p, [first])
        again = w.line(p, 1)
        again.traceability_codes = list(first.traceability_codes)
        refused("GY-E02", w, p, [again])
        submit(w, p, [w.line(p, 1)])
    refusal = CounterRefusal.objects.get(rule_id="GY-E02")
    assert refusal.traceability_code == first.traceability_codes[0]
    assert refusal.pharmacy == w.pharmacy


def test_stock_cannot_go_negative() -> None:
    w = world(stock=3)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        err = refused("HY-B03", w, p, [w.line(p, 4)])
        assert "库存" in str(err.message)
        assert not Dispensing.objects.exists()
        submit(w, p, [w.line(p, 3)])
    assert StockBatch.objects.get(pk=w.batch.pk).quantity == 0


def test_idempotency_key_retry_never_charges_twice() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        line = w.line(p, 5)
        first = submit(w, p, [line], idempotency_key="pos-1-0001")
        retry = submit(w, p, [line], idempotency_key="pos-1-0001")
    assert retry.pk == first.pk
    assert Dispensing.objects.count() == 1
    assert QuotaAccount.objects.get().used == Decimal("47.50")


def test_return_reverses_quota_stock_codes_and_money_exactly() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        line = w.line(p, 10)
        d = submit(w, p, [line])
        dispensing_return(dispensing=d, actor=w.pharmacist, reason="患者退药")
        with pytest.raises(Exception):
            dispensing_return(dispensing=d, actor=w.pharmacist, reason="再次")
        d.refresh_from_db()
        assert d.status == DispensingStatus.RETURNED
        assert QuotaAccount.objects.get().used == Decimal("0.00")
        assert [e.amount for e in QuotaEvent.objects.order_by("id")] == [
            Decimal("95.00"),
            Decimal("-95.00"),
        ]
        assert StockBatch.objects.get(pk=w.batch.pk).quantity == 200
        assert p.items.get().remaining == 30
        # the same units may be sold again
        resale = w.line(p, 10)
        resale.traceability_codes = line.traceability_codes
        submit(w, p, [resale])


def test_a_retry_checked_before_the_first_request_committed_returns_it_not_a_gy_e02_resale() -> (
    None
):
    # Given a retry whose idempotency check ran while the first request was still booking
    # (it saw no dispensing under the key) ...
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        lines = [w.line(p, 2)]
        from prescriptions.selectors import counter_checks

        stale = counter_checks(
            pharmacy=w.pharmacy, prescription=p, on=date(2027, 5, 10), idempotency_key="pos-9"
        )
        first = submit(w, p, lines, idempotency_key="pos-9")
        # ... when it reaches the codes the first request has sold since
        retry = submit(w, p, lines, idempotency_key="pos-9", checks=stale)
        # Then it returns the first dispensing: no second charge, no resale kept
        assert retry.pk == first.pk
        assert not CounterRefusal.objects.filter(rule_id="GY-E02").exists()
        # and without the key the same codes are a resale (GY-E02)
        with pytest.raises(RuleViolation) as exc:
            submit(w, p, lines)
    assert exc.value.rule_id == "GY-E02"
    assert CounterRefusal.objects.filter(rule_id="GY-E02").exists()
