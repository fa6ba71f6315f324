"""core.prepared.insert: the rows it writes read back as the ORM's own insert writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from core.prepared import insert
from inventory.models import Drug, Movement, MovementKind
from pharmacies.models import Pharmacy
from tests.factories.inventory import PURCHASE, at, book

pytestmark = pytest.mark.django_db


def test_insert_writes_what_create_writes(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> None:
    batch = book(pharmacy, catalogue["amlodipine"], PURCHASE, 10, at(date(2026, 8, 1)))
    fields = {
        "pharmacy": pharmacy,
        "batch": batch,
        "drug": catalogue["amlodipine"],
        "kind": MovementKind.SALE,
        "quantity": -1,
        "unit_price": Decimal("9.50"),
        "occurred_at": at(date(2026, 8, 2)),
        "reference": "JS1",
        "traceability_codes": ["1" * 20],
    }
    by_orm = Movement.objects.create(**fields)
    a, b = insert([Movement(**fields), Movement(**{**fields, "reference": "JS2"})])
    assert a.pk and b.pk and len({by_orm.pk, a.pk, b.pk}) == 3
    stored = {m.pk: m for m in Movement.objects.filter(pk__in=[by_orm.pk, a.pk, b.pk])}
    ignore = ["id", "created_at", "reference"]
    orm_row = model_to_dict(stored[by_orm.pk], exclude=ignore)
    assert model_to_dict(stored[a.pk], exclude=ignore) == orm_row
    assert stored[b.pk].reference == "JS2" and stored[a.pk].created_at is not None
    assert stored[a.pk].counterparty == "" and stored[a.pk].entered_by_hand is False


def test_insert_refuses_a_model_with_save_signals(pharmacy: Pharmacy) -> None:
    # Pharmacy keeps history (a post_save receiver): insert() would skip it
    with pytest.raises(ValueError, match="save signals"):
        insert([Pharmacy(organisation=pharmacy.organisation, credit_code="x")])
