"""Retention (HY-E03, GY-A08), delivery register (GY-A09), archive (GY-A07), statement (GY-D03)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.errors import RuleViolation
from pharmacies.models import Pharmacy
from prescriptions.models import (
    DeliveryMethod,
    Dispensing,
    DispensingEvent,
    Prescription,
    PrescriptionKind,
    QuotaEvent,
)
from prescriptions.selectors import fund_statement, outpatient_archive
from prescriptions.services import (
    LineInput,
    ProxyInput,
    delivery_record,
    dispensing_delete,
    dispensing_return,
    dispensing_submit,
    prescription_delete,
)
from tests.factories.prescriptions import MAY, World, codes, gy, gy_id, paper, png, world

pytestmark = pytest.mark.django_db


def sell(w: World, qty: int = 2) -> Dispensing:
    # Long-term: a sale per call, several within a month (HY 五(二) allows only those).
    p = w.prescription(kind=PrescriptionKind.LONG_TERM)
    return dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, qty)],
        actor=w.pharmacist,
        identity_confirmed=True,
        patient_signed=True,
    )


def test_hy_e03_prescription_kept_two_years_before_deletion() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
    # Issued 10 May 2027: the two years' last day is 10 May 2029; deletable from the 11th.
    with time_machine.travel("2029-05-09 10:00 +0800", tick=False):
        with pytest.raises(RuleViolation) as exc:
            prescription_delete(prescription=p, actor=w.pharmacist)
        assert exc.value.rule_id == "HY-E03" and "2029-05-11" in str(exc.value.message)
    with time_machine.travel("2029-05-10 23:00 +0800", tick=False):
        with pytest.raises(RuleViolation) as exc:
            prescription_delete(prescription=p, actor=w.pharmacist)
        assert exc.value.rule_id == "HY-E03"
    with time_machine.travel("2029-05-11 10:00 +0800", tick=False):
        prescription_delete(prescription=p, actor=w.pharmacist)
    assert not Prescription.objects.filter(pk=p.pk).exists()


def test_gy_a08_purchase_list_and_proxy_record_kept_for_the_retention_years() -> None:
    """The real GY-PT programme (its own record_retention_years, seeded 2): a proxy purchase
    at a Guiyang pharmacy keeps its purchase list and proxy record through the last day."""
    g = gy()
    assert g.programme.record_retention_years == 2
    with time_machine.travel(MAY, tick=False):
        p = paper(g, g.employee, qty=4)
        d = dispensing_submit(
            pharmacy=g.pharmacy,
            prescription=p,
            lines=[LineInput(p.items.get().pk, 2, Decimal("8.00"), codes(2))],
            actor=g.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
            proxy=ProxyInput("刘小东", gy_id(33), png()),
        )
    assert d.programme == g.programme and d.proxy_name == "刘小东" and d.purchase_list_photo
    with time_machine.travel("2028-05-10 10:00 +0800", tick=False):
        with pytest.raises(RuleViolation) as exc:
            dispensing_delete(dispensing=d, actor=g.pharmacist)
        assert exc.value.rule_id == "GY-A08"
    # Sold on 10 May 2027: kept through 10 May 2029 (the last day), deletable on the 11th.
    with time_machine.travel("2029-05-10 23:00 +0800", tick=False):
        with pytest.raises(RuleViolation) as exc:
            dispensing_delete(dispensing=d, actor=g.pharmacist)
        assert exc.value.rule_id == "GY-A08" and "2029-05-11" in str(exc.value.message)
    assert Dispensing.objects.filter(pk=d.pk, proxy_name="刘小东").exists()
    with time_machine.travel("2029-05-11 10:00 +0800", tick=False):
        dispensing_delete(dispensing=d, actor=g.pharmacist)
    assert not Dispensing.objects.filter(pk=d.pk).exists()


def test_sec_audit_dispensing_deleted_after_retention_leaves_its_append_only_events() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        d = sell(w)
    pk = d.pk
    events = DispensingEvent.objects.filter(dispensing_id=pk).count()
    quota_events = QuotaEvent.objects.filter(dispensing_id=pk).count()
    assert events and quota_events
    with time_machine.travel("2029-05-11 10:00 +0800", tick=False):
        dispensing_delete(dispensing=d, actor=w.pharmacist)
    assert not Dispensing.objects.filter(pk=pk).exists()
    assert DispensingEvent.objects.filter(dispensing_id=pk).count() == events
    assert QuotaEvent.objects.filter(dispensing_id=pk).count() == quota_events


def test_gy_a09_delivery_register_traceable_from_the_sale_and_gy_a07_archive() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        d = sell(w)
        with pytest.raises(RuleViolation) as exc:
            delivery_record(
                dispensing=d,
                method=DeliveryMethod.COURIER,
                packaging="",
                item_list="硝苯地平 ×2",
                voucher_no="SF123",
                shipped_at=timezone.now(),
                actor=w.pharmacist,
            )
        assert exc.value.rule_id == "GY-A09"
        delivery_record(
            dispensing=d,
            method=DeliveryMethod.COURIER,
            packaging="密封纸箱",
            item_list="硝苯地平 ×2",
            voucher_no="SF123",
            shipped_at=timezone.now(),
            actor=w.pharmacist,
            voucher=png("voucher.png"),
        )
    d.refresh_from_db()
    assert d.delivery.voucher_no == "SF123"
    archive = outpatient_archive(patient=w.patient, pharmacy=w.pharmacy)
    assert archive["dispensings"] == [d]
    assert archive["prescriptions"] == [d.prescription]
    assert [x.voucher_no for x in archive["deliveries"]] == ["SF123"]  # type: ignore[attr-defined]


def test_gy_d03_monthly_fund_statement_less_returns_in_their_month() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w, 2)  # 19.00 → fund 13.30
        returned = sell(w, 4)  # 38.00 → fund 26.60
    with time_machine.travel("2027-06-02 10:00 +0800", tick=False):
        dispensing_return(dispensing=returned, actor=w.pharmacist, reason="退药")
    pharmacies = Pharmacy.objects.filter(pk=w.pharmacy.pk)
    may = fund_statement(pharmacies=pharmacies, month=date(2027, 5, 1))
    assert [(x.settled_count, x.fund_owed) for x in may] == [(2, Decimal("39.90"))]
    june = fund_statement(pharmacies=pharmacies, month=date(2027, 6, 1))
    assert [(x.returned_count, x.fund_owed) for x in june] == [(1, Decimal("-26.60"))]


def test_hy_e03_prescription_keeps_history_of_its_recording_and_deletion_with_who() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
    pk = p.pk
    created = Prescription.history.get(id=pk)
    assert created.history_type == "+" and created.history_user == w.physician
    with time_machine.travel("2029-05-11 10:00 +0800", tick=False):
        prescription_delete(prescription=p, actor=w.pharmacist)
    deleted = Prescription.history.filter(id=pk).latest("history_id")
    assert deleted.history_type == "-" and deleted.history_user == w.pharmacist
