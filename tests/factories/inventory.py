"""Drugs and stock: a drug in the catalogue, a batch with movements booked at a given time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.services import api_key_create
from inventory import imports
from inventory.models import (
    Drug,
    ItemCategory,
    Movement,
    MovementKind,
    PurchaseImport,
    StockBatch,
    Stocktake,
)
from inventory.services import (
    purchase_import_create,
    purchase_import_process,
    stock_batch_get_or_create,
    stock_movement_enter,
    stock_movement_record,
    stocktakes_open_for_period,
)
from pharmacies.models import Pharmacy
from programmes.models import Programme

PURCHASE = MovementKind.PURCHASE


class DrugFactory(DjangoModelFactory[Drug]):
    """A therapeutic drug (片剂); pass insurance_code for a known one."""

    class Meta:
        model = Drug

    insurance_code = factory.Sequence(lambda n: f"XF{n:010d}")
    generic_name = factory.LazyAttribute(lambda d: f"药品{d.insurance_code}")
    dosage_form = "片剂"
    specification = "10mg×30片"
    manufacturer = "湖南某制药有限公司"
    approval_number = factory.LazyAttribute(lambda d: f"国药准字H{int(d.insurance_code[-4:]):08d}")
    category = ItemCategory.DRUG
    is_therapeutic = True


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def book(
    pharmacy: Pharmacy,
    drug: Drug,
    kind: str,
    quantity: int,
    when: datetime,
    *,
    batch_no: str = "B1",
    codes: list[str] | None = None,
    price: str | None = None,
) -> StockBatch:
    batch = stock_batch_get_or_create(
        pharmacy=pharmacy,
        drug=drug,
        batch_no=batch_no,
        production_date=date(2025, 1, 1),
        expiry_date=date(2028, 1, 1),
    )
    stock_movement_record(
        pharmacy=pharmacy,
        batch=batch,
        kind=kind,
        quantity=quantity,
        occurred_at=when,
        actor=None,
        traceability_codes=codes,
        unit_price=Decimal(price) if price else None,
    )
    batch.refresh_from_db()
    return batch


def tc(label: str) -> str:
    """A well-formed traceability code (20 digits, HY-B03) named by a short label."""
    return f"{int.from_bytes(label.encode(), 'big') % 10**20:020d}"


def row(drug: Drug, **kw: Any) -> list[Any]:
    values = {
        "insurance_code": drug.insurance_code,
        "generic_name": drug.generic_name,
        "manufacturer": drug.manufacturer,
        "dosage_form": drug.dosage_form,
        "specification": drug.specification,
        "batch_no": "P1",
        "production_date": "2025-03-01",
        "expiry_date": "2027-02-28",
        "approval_number": drug.approval_number,
        "supplier": "国药控股湖南有限公司",
        "quantity": "20",
        "unit_price": "12.50",
        "purchase_date": "2026-07-03",
        "invoice_no": "FP001",
        "delivery_note_no": "SH001",
        "traceability_codes": f"{tc('C001')};{tc('C002')}",
    }
    values.update(kw)
    return [values[key] for key, _h in imports.COLUMNS]


def run_import(pharmacy: Pharmacy, name: str, data: bytes) -> PurchaseImport:
    record = purchase_import_create(pharmacy=pharmacy, name=name, data=data, actor=None)
    return purchase_import_process(purchase_import=record)


def key_for(pharmacy: Pharmacy, user: User) -> dict[str, str]:
    _key, raw = api_key_create(organisation=pharmacy.organisation, name="POS", actor=user)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def open_q3(hy: Programme, pharmacy: Pharmacy) -> Stocktake:
    assert (
        stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
        == 1
    )
    return Stocktake.objects.get(pharmacy=pharmacy)


def enter(pharmacy: Pharmacy, kind: str, quantity: int, day: int = 10, **kw: Any) -> Movement:
    kw.setdefault("occurred_at", at(date(2026, 8, day)))
    return stock_movement_enter(pharmacy=pharmacy, kind=kind, quantity=quantity, actor=None, **kw)
