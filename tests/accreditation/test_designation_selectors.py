"""The selector dispensing uses: may a pharmacy settle for a programme on a date (HY-C06)."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Organisation, OrganisationKind
from accreditation.models import Designation, DesignationStatus
from accreditation.selectors import designated_pharmacies, pharmacy_may_settle
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories import region

pytestmark = pytest.mark.django_db


def _pharmacy(name: str, credit_code: str) -> Pharmacy:
    org = Organisation.objects.create(kind=OrganisationKind.PHARMACY, name=name, region=region())
    return Pharmacy.objects.create(organisation=org, credit_code=credit_code)


def test_hy_c06_revoked_pharmacy_settles_until_the_transition_ends_and_not_after() -> None:
    hy = Programme.objects.get(code="HY-TM")
    pharmacy = _pharmacy("衡阳县测试药房", "91110000600037341L")
    Designation.objects.create(
        pharmacy=pharmacy,
        programme=hy,
        status=DesignationStatus.REVOKED,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        settle_until=date(2026, 12, 31),
    )
    assert pharmacy_may_settle(pharmacy=pharmacy, programme=hy, on=date(2026, 12, 31))
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=hy, on=date(2027, 1, 1))
    assert list(designated_pharmacies(programme=hy, on=date(2026, 12, 31))) == [pharmacy]
    assert list(designated_pharmacies(programme=hy, on=date(2027, 1, 4))) == []


def test_active_designation_covers_its_term_only() -> None:
    hy = Programme.objects.get(code="HY-TM")
    pharmacy = _pharmacy("衡阳县测试药房二", "91110000600037341L")
    Designation.objects.create(
        pharmacy=pharmacy, programme=hy, starts_on=date(2026, 3, 1), ends_on=date(2027, 2, 28)
    )
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=hy, on=date(2026, 2, 28))
    assert pharmacy_may_settle(pharmacy=pharmacy, programme=hy, on=date(2026, 3, 1))
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=hy, on=date(2027, 3, 1))
    gy = Programme.objects.get(code="GY-PT")
    assert not pharmacy_may_settle(pharmacy=pharmacy, programme=gy, on=date(2026, 6, 1))
