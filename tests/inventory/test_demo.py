"""The demo stock ledger follows the programme parameters, not numbers of its own."""

from __future__ import annotations

import io
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.management import call_command

from inventory.models import Movement, MovementKind, PriceCap
from inventory.selectors import sale_prices_over_cap
from programmes.models import PriceCapBasis, Programme


@pytest.mark.django_db
def test_hy_b02_demo_sales_take_the_discount_from_the_programme_parameter() -> None:
    # Given the bureau has set a 10 % discount (the policy's 5 % is only a minimum)
    Programme.objects.filter(code="HY-TM").update(price_discount_pct=Decimal("10"))
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    hy = Programme.objects.get(code="HY-TM")
    sales = Movement.objects.filter(
        kind=MovementKind.SALE, pharmacy__organisation__region__code="430421"
    ).select_related("pharmacy")
    caps = {
        c.drug_id: c.price
        for c in PriceCap.objects.filter(basis=PriceCapBasis.HOSPITAL_LISTED).order_by(
            "drug", "effective_on"
        )
    }
    capped = [s for s in sales if s.drug_id in caps]
    assert capped
    for sale in capped:
        assert sale.unit_price is not None
        assert sale.unit_price <= caps[sale.drug_id] * Decimal("0.9")
    # The demo ledger's own sales are at the cap: the highest price the parameter allows
    assert any(
        s.unit_price == (caps[s.drug_id] * Decimal("0.9")).quantize(Decimal("0.01"), ROUND_DOWN)
        for s in capped
    )
    for pharmacy in {s.pharmacy for s in capped}:
        assert sale_prices_over_cap(pharmacy=pharmacy, programme=hy).passed is True
