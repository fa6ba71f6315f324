"""HY-B02 / GY-C01 region-wide: the bureau sees each pharmacy's price-compliance share."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, OrganisationKind, Role
from accounts.principal import Principal
from inventory.models import MovementKind
from supervision.selectors import price_compliance_for_principal
from tests.factories import member
from tests.factories.inventory import at, book
from tests.factories.patients import bureau, region
from tests.factories.pharmacies import PharmacyFactory
from tests.factories.prescriptions import world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def test_hy_b02_bureau_sees_each_pharmacy_compliance_of_its_region_only(
    outsider_bureau_admin: Any, django_assert_num_queries: Any
) -> None:
    # Given two county pharmacies (reference price 10.00, cap 9.50): one sells at the cap,
    # the other once at and once above it; and a pharmacy of Guiyang with a sale
    good, mixed = world(1), world(2)
    book(good.pharmacy, good.drug, MovementKind.SALE, 1, at(date(2027, 5, 3)), price="9.50")
    book(mixed.pharmacy, mixed.drug, MovementKind.SALE, 1, at(date(2027, 5, 3)), price="9.50")
    book(mixed.pharmacy, mixed.drug, MovementKind.SALE, 1, at(date(2027, 5, 4)), price="9.80")
    gy_org = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="贵阳市外区药房", region=region("520100")
    )
    gy_pharmacy = PharmacyFactory.create(organisation=gy_org)
    book(gy_pharmacy, good.drug, MovementKind.PURCHASE, 5, at(date(2027, 5, 1)))
    book(gy_pharmacy, good.drug, MovementKind.SALE, 1, at(date(2027, 5, 3)), price="99.00")

    # When the county bureau reads the table: a fixed number of statements whatever the
    # number of pharmacies or sales (the bureau's region and its subtree — asked twice, by
    # the pharmacies' and the programmes' scoping —, the pharmacies, the programmes and their
    # regions, one aggregate per programme)
    principal = Principal(organisation=bureau(), role=Role.BUREAU_REVIEWER)
    with django_assert_num_queries(7):
        tables = price_compliance_for_principal(principal)

    # Then only the county's programme and pharmacies, each with its share
    assert [t.programme.code for t in tables] == ["HY-TM"]
    shares = {p.pk: m for p, m in tables[0].rows}
    assert gy_pharmacy.pk not in shares
    g, m = shares[good.pharmacy.pk], shares[mixed.pharmacy.pk]
    assert g is not None and (g.percent, g.passed) == (100, True)
    assert m is not None
    assert (m.numerator, m.denominator, m.value, m.passed) == (1, 2, 1, False)

    page = login(Client(), member(Role.BUREAU_REVIEWER, organisation=bureau(), username="rv"))
    html = page.get("/supervision/prices/").content.decode()
    assert good.pharmacy.organisation.name in html and "50.0%" in html
    assert "贵阳市外区药房" not in html
    # the Guiyang bureau sees its pharmacy, none of the county's
    other = login(Client(), outsider_bureau_admin).get("/supervision/prices/").content.decode()
    assert "贵阳市外区药房" in other and good.pharmacy.organisation.name not in other
