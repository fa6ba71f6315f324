from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role, User
from inventory.models import DiseaseDrug, Drug, ItemCategory, PriceCap
from pharmacies.models import Pharmacy
from programmes.models import Disease, PriceCapBasis, Programme
from tests.factories.inventory import DrugFactory
from tests.factories.pharmacies import PharmacyFactory


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
    return PharmacyFactory.create(organisation=manager.memberships.get().organisation)


@pytest.fixture
def reviewer(personas: dict[str, User]) -> User:
    return personas[Role.BUREAU_REVIEWER]


@pytest.fixture
def outsider_pharmacy(outsider_pharmacy_manager: User) -> Pharmacy:
    return PharmacyFactory.create(
        organisation=outsider_pharmacy_manager.memberships.get().organisation
    )


@pytest.fixture
def catalogue(hy: Programme) -> dict[str, Drug]:
    """Four drugs for hypertension (three basic), a non-therapeutic drug, a special food,
    a health food and a device."""
    hypertension = Disease.objects.get(programme=hy, code="TM101")
    drugs = {
        "amlodipine": DrugFactory.create(
            insurance_code="XC0000000001", generic_name="苯磺酸氨氯地平片"
        ),
        "captopril": DrugFactory.create(insurance_code="XC0000000002", generic_name="卡托普利片"),
        "losartan": DrugFactory.create(insurance_code="XC0000000003", generic_name="氯沙坦钾片"),
        "valsartan": DrugFactory.create(insurance_code="XC0000000004", generic_name="缬沙坦胶囊"),
        "vitamin": DrugFactory.create(
            insurance_code="XC0000000005", generic_name="维生素C片", is_therapeutic=False
        ),
        "special_food": DrugFactory.create(
            insurance_code="SF0000000006",
            generic_name="肾病专用全营养配方食品",
            approval_number="",
            category=ItemCategory.SPECIAL_FOOD,
            is_therapeutic=False,
        ),
        "health_food": DrugFactory.create(
            insurance_code="HF0000000007",
            generic_name="蛋白粉",
            approval_number="",
            category=ItemCategory.HEALTH_FOOD,
            is_therapeutic=False,
        ),
        "device": DrugFactory.create(
            insurance_code="DV0000000008",
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
