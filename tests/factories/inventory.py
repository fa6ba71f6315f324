"""Drugs and stock: a drug in the catalogue, a batch with movements booked at a given time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from inventory.models import Drug, ItemCategory, MovementKind, StockBatch
from inventory.services import stock_batch_get_or_create, stock_movement_record
from pharmacies.models import Pharmacy

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
