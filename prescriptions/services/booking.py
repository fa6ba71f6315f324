"""Booking a checked sale in one transaction: the settlement split (GY-D03), the dispensing
row, the prescription's remaining quantities (HY-E02), the quota (HY-G07), the stock ledger
and the first event row. Lock order everywhere: the patient (general outpatient's yearly
totals), prescription items (by id), quota account, stock batches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, RuleViolation
from core.prepared import insert, prepared_cursor
from core.validators import normalise_resident_id
from inventory.services import stock_sale_book
from patients.models import Enrolment, Patient
from pharmacies.models import Pharmacy
from prescriptions.models import (
    Dispensing,
    DispensingEvent,
    DispensingLine,
    DispensingStatus,
    Prescription,
    PrescriptionItem,
)
from prescriptions.review import CounterRecord
from prescriptions.selectors import outpatient_status, quota_period_bounds
from prescriptions.services.common import ProxyInput, fen
from prescriptions.services.quota import quota_use
from programmes.models import Disease, Programme
from programmes.selectors import fund_share_in_force

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PricedLine:
    """A checked line: the prescription item, how many, at what price under which cap, and
    the traceability codes scanned."""

    item: PrescriptionItem
    quantity: int
    unit_price: Decimal
    cap: Decimal
    codes: list[str]

    @property
    def amount(self) -> Decimal:
        return fen(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Sale:
    """Everything `dispensing_submit` checked, ready to book."""

    pharmacy: Pharmacy
    prescription: Prescription
    enrolment: Enrolment | None
    lines: list[PricedLine]
    total: Decimal
    personal_paid: Decimal | None
    proxy: ProxyInput | None
    actor: User
    now: datetime
    idempotency_key: str | None
    # The batch each scanned code was received in at this pharmacy.
    received: dict[str, int]
    record: CounterRecord


def settlement_split(
    total: Decimal, disease: Disease | None, *, programme: Programme, patient: Patient, on: date
) -> tuple[Decimal, Decimal]:
    """Fund and personal share (fen-exact, half up; GY-D03). A 特门 prescription pays the
    disease's percentage; a general-outpatient one (no disease, GY-PT) pays the programme's
    percentage of what lies above the yearly deductible, up to the yearly fund cap — both
    counted over the patient's settled, not returned purchases of the programme this year."""
    if disease is not None:  # HY-G07: the standard in force on the sale's date
        fund = fen(total * fund_share_in_force(disease=disease, on=on) / 100)
        return fund, total - fund
    pct = programme.outpatient_fund_share_pct
    if pct is None or total <= 0:
        return ZERO, total
    deductible, cap = programme.outpatient_deductible, programme.outpatient_annual_cap
    spent = paid = ZERO
    if deductible or cap is not None:
        year = outpatient_status(patient=patient, programme=programme, on=on)
        spent, paid = year.spent, year.fund_paid
    below = max(ZERO, (deductible or ZERO) - spent)
    fund = fen(max(ZERO, total - below) * pct / 100)
    if cap is not None:
        fund = max(ZERO, min(fund, cap - paid))
    return fund, total - fund


def _settle(sale: Sale, on: date) -> tuple[Decimal, Decimal]:
    """The split, the personal share collected in full (HY-G10)."""
    prescription = sale.prescription
    programme, disease = prescription.programme, prescription.disease
    if disease is None and (
        programme.outpatient_deductible or programme.outpatient_annual_cap is not None
    ):
        # GY-D03: the yearly deductible and fund cap are shared by all the patient's
        # purchases; two counters count them one after the other (the patient row is the
        # lock; a retry with the same key waits here too, then meets the unique index).
        Patient.objects.select_for_update().filter(pk=prescription.patient_id).values_list(
            "pk"
        ).get()
    fund, personal = settlement_split(
        sale.total, disease, programme=programme, patient=prescription.patient, on=on
    )
    if sale.personal_paid is not None and sale.personal_paid < personal:
        raise RuleViolation(
            "HY-G10", _("个人负担部分 %(p)s 元须足额收取，不得减免。") % {"p": personal}
        )
    return fund, personal


def _new_dispensing(sale: Sale, *, fund: Decimal, personal: Decimal, on: date) -> Dispensing:
    """The dispensing row, inserted first: a concurrent retry with the same key waits here on
    the unique index."""
    prescription = sale.prescription
    dispensing = Dispensing(
        number=f"JS{timezone.localtime(sale.now):%Y%m%d%H%M%S}{uuid.uuid4().hex[:8].upper()}",
        pharmacy=sale.pharmacy,
        programme=prescription.programme,
        patient=prescription.patient,
        disease=prescription.disease,
        enrolment=sale.enrolment,
        prescription=prescription,
        pharmacist=sale.actor,
        idempotency_key=sale.idempotency_key,
        dispensed_at=sale.now,
        total=sale.total,
        fund_share=fund,
        personal_share=personal,
        quota_period_start=(
            quota_period_bounds(programme=prescription.programme, on=on)[0]
            if sale.enrolment is not None
            else None
        ),
        patient_signed=True,
        **sale.record.fields(),
    )
    proxy = sale.proxy
    if proxy is not None:
        dispensing.is_proxy = True
        dispensing.proxy_name = proxy.name.strip()
        dispensing.proxy_resident_id = normalise_resident_id(proxy.resident_id)
        assert proxy.purchase_list_photo is not None
        dispensing.purchase_list_photo.save(
            f"{uuid.uuid4().hex}.img", proxy.purchase_list_photo, save=False
        )
    insert([dispensing])
    return dispensing


# HY-E02: take the quantity from the item only while that much is left (the row lock is the
# UPDATE's; a concurrent counter re-checks after waiting).
_TAKE_ITEM = (
    f"UPDATE {PrescriptionItem._meta.db_table}"  # noqa: S608
    " SET dispensed_quantity = dispensed_quantity + %(q)s"
    " WHERE id = %(id)s AND dispensed_quantity <= quantity - %(q)s"
)


def _take_items(lines: list[PricedLine]) -> None:
    """Each item in id order, one conditional UPDATE that locks the row and re-checks."""
    for line in sorted(lines, key=lambda line: line.item.pk):
        with prepared_cursor() as cursor:
            cursor.execute(_TAKE_ITEM, {"q": line.quantity, "id": line.item.pk})
            taken = cursor.rowcount
        if not taken:
            raise RuleViolation(
                "HY-E02", _("%s 处方剩余数量不足（已在别处配药）。") % line.item.drug
            )


def _sell_stock(sale: Sale, dispensing: Dispensing) -> list[DispensingLine]:
    """Each line out of the stock ledger: the batch its scanned codes were received in, else
    the earliest-expiring one with stock (stock_sale_book picks it)."""
    rows = []
    for line in sale.lines:
        known = next((sale.received[c] for c in line.codes if c in sale.received), None)
        try:
            movement = stock_sale_book(
                pharmacy=sale.pharmacy,
                drug=line.item.drug,
                batch=known,
                quantity=line.quantity,
                unit_price=line.unit_price,
                traceability_codes=line.codes,
                sold_at=sale.now,
                actor=sale.actor,
                reference=dispensing.number,
                savepoint=False,  # any error rolls back this whole transaction
            )
        except RuleViolation:
            raise
        except DomainError as exc:
            raise RuleViolation("HY-B03", str(exc)) from exc
        rows.append(
            DispensingLine(
                dispensing=dispensing,
                item=line.item,
                drug=line.item.drug,
                batch_id=movement.batch_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                price_cap=line.cap,
                amount=line.amount,
                traceability_codes=line.codes,
                movement=movement,
            )
        )
    return rows


def book(sale: Sale) -> Dispensing:
    """Book the checked sale, all or nothing."""
    today = timezone.localdate(sale.now)
    with transaction.atomic():
        fund, personal = _settle(sale, today)
        dispensing = _new_dispensing(sale, fund=fund, personal=personal, on=today)
        _take_items(sale.lines)
        if sale.enrolment is not None:
            quota_use(
                enrolment=sale.enrolment,
                programme=sale.prescription.programme,
                dispensing=dispensing,
                amount=sale.total,
                actor=sale.actor,
                on=today,
            )
        rows = insert(_sell_stock(sale, dispensing))
        # The caller shows the lines: they are already in memory.
        dispensing._prefetched_objects_cache = {"lines": rows}  # type: ignore[attr-defined]
        # Its first event row: born settled (prescriptions.transitions, "" → settled).
        insert(
            [
                DispensingEvent(
                    dispensing=dispensing,
                    old_status="",
                    new_status=DispensingStatus.SETTLED,
                    actor=sale.actor,
                    rule_id="GY-D02",
                )
            ]
        )
    return dispensing
