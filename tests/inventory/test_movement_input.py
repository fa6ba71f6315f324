"""Impossible stock movements are refused with a message naming the field (issue 12.6):
a cash sale at price 0, a loss before the pharmacy opened, an expired batch transferred in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from core.errors import DomainError
from inventory.models import CounterpartyKind, Drug, MovementKind, StockBatch
from inventory.services import NewBatch
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import PURCHASE, at, book, enter

K = MovementKind
pytestmark = pytest.mark.django_db
TRANSFER = {
    "counterparty_kind": CounterpartyKind.SAME_OWNER,
    "counterparty": "衡阳县康民大药房二店",
    "reference": "DB-1",
}


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(datetime(2026, 8, 20, 12, 0), tick=False):
        yield


@pytest.fixture
def stocked(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> StockBatch:
    return book(pharmacy, catalogue["amlodipine"], PURCHASE, 100, at(date(2026, 8, 1)))


@pytest.mark.parametrize("price", ["0", "0.0000"])
def test_cash_sale_at_price_zero_is_refused_naming_the_price(
    pharmacy: Pharmacy, stocked: StockBatch, price: str
) -> None:
    with pytest.raises(DomainError) as refused:
        enter(pharmacy, K.SALE, 1, batch=stocked, unit_price=Decimal(price))
    assert refused.value.field == "unit_price" and "大于 0" in str(refused.value)


def test_loss_dated_before_the_pharmacy_opened_is_refused(
    pharmacy: Pharmacy, stocked: StockBatch
) -> None:
    Pharmacy.objects.filter(pk=pharmacy.pk).update(opened_on=date(2026, 8, 5))
    pharmacy.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        enter(pharmacy, K.LOSS, 1, day=4, batch=stocked, reason="破损")
    assert refused.value.field == "occurred_at" and "2026-08-05" in str(refused.value)
    assert enter(pharmacy, K.LOSS, 1, day=6, batch=stocked, reason="破损").quantity == -1


def test_movement_dated_in_1800_is_refused(pharmacy: Pharmacy, stocked: StockBatch) -> None:
    with pytest.raises(DomainError) as refused:
        enter(pharmacy, K.LOSS, 1, batch=stocked, reason="破损", occurred_at=at(date(1800, 1, 1)))
    assert refused.value.field == "occurred_at"


def test_transfer_in_of_an_expired_new_batch_is_refused(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    expired = NewBatch(drug=catalogue["captopril"], batch_no="K9", expiry_date=date(2026, 8, 1))
    with pytest.raises(DomainError) as refused:
        enter(pharmacy, K.TRANSFER_IN, 4, day=13, new_batch=expired, **TRANSFER)
    assert refused.value.field == "expiry_date" and "2026-08-01" in str(refused.value)


def test_transfer_in_to_a_known_expired_batch_is_refused(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    old = book(pharmacy, catalogue["captopril"], PURCHASE, 5, at(date(2026, 1, 5)), batch_no="OLD")
    StockBatch.objects.filter(pk=old.pk).update(expiry_date=date(2026, 7, 31))
    old.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        enter(pharmacy, K.TRANSFER_IN, 1, day=13, batch=old, **TRANSFER)
    assert refused.value.field == "batch"


@pytest.mark.parametrize("price", ["-1.00", "0"])
def test_negative_or_zero_price_cap_is_refused_naming_the_price(
    catalogue: dict[str, Drug], hy: Programme, price: str
) -> None:
    from accounts.models import Role
    from inventory.services import price_cap_set
    from tests.factories import member

    with pytest.raises(DomainError) as refused:
        price_cap_set(
            drug=catalogue["amlodipine"],
            programme=hy,
            price=Decimal(price),
            source="湖南省挂网",
            effective_on=date(2026, 8, 1),
            actor=member(Role.BUREAU_ADMIN),
            reason="更正",
        )
    assert refused.value.field == "price"
