from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from stdnum.cn import uscc

from accounts.models import Organisation, Role, User
from inventory.models import DiseaseDrug, Drug, ItemCategory, MovementKind, PriceCap, StockBatch
from inventory.services import stock_batch_get_or_create, stock_movement_record
from pharmacies.models import Pharmacy
from programmes.models import Disease, PriceCapBasis, Programme

_counter = iter(range(10_000))


def make_pharmacy(organisation: Organisation) -> Pharmacy:
    base = f"9143042100000{next(_counter):04d}"
    return Pharmacy.objects.create(
        organisation=organisation, credit_code=base + uscc.calc_check_digit(base)
    )


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def make_drug(code: str, **kw: Any) -> Drug:
    defaults: dict[str, Any] = {
        "generic_name": f"药品{code}",
        "dosage_form": "片剂",
        "specification": "10mg×30片",
        "manufacturer": "湖南某制药有限公司",
        "approval_number": f"国药准字H{int(code[-4:]):08d}",
        "category": ItemCategory.DRUG,
        "is_therapeutic": True,
    }
    defaults.update(kw)
    return Drug.objects.create(insurance_code=code, **defaults)


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


@pytest.fixture
def hy() -> Programme:
    return Programme.objects.get(code="HY-TM")


@pytest.fixture
def gy() -> Programme:
    return Programme.objects.get(code="GY-PT")


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas[Role.PHARMACY_MANAGER]


@pytest.fixture
def pharmacy(manager: User) -> Pharmacy:
    return make_pharmacy(manager.memberships.get().organisation)


@pytest.fixture
def reviewer(personas: dict[str, User]) -> User:
    return personas[Role.BUREAU_REVIEWER]


@pytest.fixture
def outsider_pharmacy(outsider_pharmacy_manager: User) -> Pharmacy:
    return make_pharmacy(outsider_pharmacy_manager.memberships.get().organisation)


@pytest.fixture
def catalogue(hy: Programme) -> dict[str, Drug]:
    """Four drugs for hypertension (three basic), a non-therapeutic drug, a special food,
    a health food and a device."""
    hypertension = Disease.objects.get(programme=hy, code="TM101")
    drugs = {
        "amlodipine": make_drug("XC0000000001", generic_name="苯磺酸氨氯地平片"),
        "captopril": make_drug("XC0000000002", generic_name="卡托普利片"),
        "losartan": make_drug("XC0000000003", generic_name="氯沙坦钾片"),
        "valsartan": make_drug("XC0000000004", generic_name="缬沙坦胶囊"),
        "vitamin": make_drug("XC0000000005", generic_name="维生素C片", is_therapeutic=False),
        "special_food": make_drug(
            "SF0000000006",
            generic_name="肾病专用全营养配方食品",
            approval_number="",
            category=ItemCategory.SPECIAL_FOOD,
            is_therapeutic=False,
        ),
        "health_food": make_drug(
            "HF0000000007",
            generic_name="蛋白粉",
            approval_number="",
            category=ItemCategory.HEALTH_FOOD,
            is_therapeutic=False,
        ),
        "device": make_drug(
            "DV0000000008",
            generic_name="电子血压计",
            approval_number="",
            category=ItemCategory.DEVICE,
            is_therapeutic=False,
        ),
    }
    for key in ("amlodipine", "captopril", "losartan"):
        DiseaseDrug.objects.create(disease=hypertension, drug=drugs[key], is_basic_drug=True)
    DiseaseDrug.objects.create(disease=hypertension, drug=drugs["valsartan"], is_basic_drug=False)
    PriceCap.objects.create(
        drug=drugs["amlodipine"],
        programme=Programme.objects.get(code="HY-TM"),
        basis=PriceCapBasis.HOSPITAL_LISTED,
        price=Decimal("20.00"),
        source="挂网价",
        effective_on=date(2025, 1, 1),
    )
    return drugs


PURCHASE = MovementKind.PURCHASE
