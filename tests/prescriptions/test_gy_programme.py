"""GY-PT (employee general outpatient): platform price cap and no devices or consumables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Organisation, OrganisationKind, Region, Role
from accreditation.models import Designation
from core.errors import RuleViolation
from inventory.models import ItemCategory, PriceCap
from prescriptions.models import PrescriptionSource
from prescriptions.services import ItemInput, dispensing_submit, prescription_create
from programmes.models import Programme
from tests.factories import member
from tests.prescriptions.helpers import World, world

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"


def gy_hospital() -> Organisation:
    """A Guiyang hospital: GY-PT prescriptions come from hospitals of its region (GY-D02)."""
    organisation, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.HOSPITAL,
        name="贵阳市第一人民医院",
        region=Region.objects.get(code="520100"),
        defaults={"hospital_level": "3"},
    )
    return organisation


def gy_world() -> tuple[World, Programme]:
    w = world()
    w.physician = member(Role.PHYSICIAN, organisation=gy_hospital())
    gy = Programme.objects.get(code="GY-PT")
    Designation.objects.create(
        pharmacy=w.pharmacy, programme=gy, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    PriceCap.objects.create(
        drug=w.drug,
        basis="platform_listed",
        price=Decimal("8.00"),
        source="国家集采平台",
        effective_on=date(2027, 1, 1),
    )
    return w, gy


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
