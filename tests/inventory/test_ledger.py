"""Stock ledger: HY-B01 at receipt, sales that never go negative, traceability codes."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from core.errors import DomainError, RuleViolation
from inventory.models import Drug, Movement, MovementKind, StockBatch, TraceabilityCode
from inventory.services import stock_batch_get_or_create, stock_sale_book
from pharmacies.models import Pharmacy
from tests.factories.inventory import PURCHASE, DrugFactory, at, book
from tests.factories.pharmacies import PharmacyFactory


@pytest.mark.django_db
def test_hy_b01_refuses_health_food_device_in_tm_premises_allows_drug_and_special_food(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a Hengyang (特门) pharmacy
    # When it receives a drug with an approval number and an approved special food: allowed
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 10, at(date(2026, 7, 1)))
    book(pharmacy, catalogue["special_food"], PURCHASE, 5, at(date(2026, 7, 1)))
    # Then a health food or a device is refused with HY-B01
    for key in ("health_food", "device"):
        with pytest.raises(RuleViolation) as exc:
            book(pharmacy, catalogue[key], PURCHASE, 1, at(date(2026, 7, 1)))
        assert exc.value.rule_id == "HY-B01"
    assert StockBatch.objects.filter(pharmacy=pharmacy).count() == 2


@pytest.mark.django_db
def test_hy_b01_does_not_apply_outside_tm_premises(
    outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # A Guiyang pharmacy (GY-PT sets no approval-number-only rule) may stock a health food.
    batch = book(outsider_pharmacy, catalogue["health_food"], PURCHASE, 3, at(date(2026, 7, 1)))
    assert batch.quantity == 3


@pytest.mark.django_db
def test_sale_decrements_stock_and_refuses_to_go_negative(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    drug = catalogue["amlodipine"]
    batch = book(pharmacy, drug, PURCHASE, 10, at(date(2026, 7, 1)), codes=["T1", "T2"])
    stock_sale_book(
        pharmacy=pharmacy,
        drug=drug,
        batch=batch,
        quantity=4,
        unit_price=Decimal("18.00"),
        traceability_codes=["T1"],
        sold_at=at(date(2026, 7, 2)),
        actor=None,
    )
    batch.refresh_from_db()
    assert batch.quantity == 6
    with pytest.raises(DomainError):
        stock_sale_book(
            pharmacy=pharmacy,
            drug=drug,
            batch=batch,
            quantity=7,
            unit_price=Decimal("18.00"),
            traceability_codes=[],
            sold_at=at(date(2026, 7, 2)),
            actor=None,
        )
    batch.refresh_from_db()
    assert batch.quantity == 6
    assert Movement.objects.filter(kind=MovementKind.SALE).count() == 1
    assert TraceabilityCode.objects.get(code="T1").sold_in is not None


@pytest.mark.django_db
def test_hy_b03_a_traceability_code_is_sold_once(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    drug = catalogue["amlodipine"]
    batch = book(pharmacy, drug, PURCHASE, 10, at(date(2026, 7, 1)), codes=["T9"])
    kwargs = {
        "pharmacy": pharmacy,
        "drug": drug,
        "batch": batch,
        "quantity": 1,
        "unit_price": Decimal("18"),
        "sold_at": at(date(2026, 7, 2)),
        "actor": None,
    }
    stock_sale_book(traceability_codes=["T9"], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation) as exc:
        stock_sale_book(traceability_codes=["T9"], **kwargs)  # type: ignore[arg-type]
    assert exc.value.rule_id == "HY-B03"
    batch.refresh_from_db()
    assert batch.quantity == 9


@pytest.mark.django_db
def test_movement_of_another_pharmacys_batch_is_refused(
    pharmacy: Pharmacy, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    batch = book(outsider_pharmacy, catalogue["amlodipine"], PURCHASE, 5, at(date(2026, 7, 1)))
    with pytest.raises(DomainError):
        stock_sale_book(
            pharmacy=pharmacy,
            drug=catalogue["amlodipine"],
            batch=batch,
            quantity=1,
            unit_price=Decimal("1"),
            traceability_codes=[],
            sold_at=at(date(2026, 7, 2)),
            actor=None,
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_never_make_stock_negative(personas: dict) -> None:
    # Given 10 units of one batch
    from accounts.models import Role

    org = personas[Role.PHARMACY_MANAGER].memberships.get().organisation
    pharmacy = PharmacyFactory.create(organisation=org)
    drug = DrugFactory.create(insurance_code="XC0000009999")
    batch = stock_batch_get_or_create(
        pharmacy=pharmacy, drug=drug, batch_no="C1", production_date=None, expiry_date=None
    )
    book(pharmacy, drug, PURCHASE, 10, at(date(2026, 7, 1)), batch_no="C1")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def sell() -> None:
        try:
            barrier.wait()
            stock_sale_book(
                pharmacy=pharmacy,
                drug=drug,
                batch=batch,
                quantity=3,
                unit_price=Decimal("1"),
                traceability_codes=[],
                sold_at=at(date(2026, 7, 2)),
                actor=None,
            )
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    # When six counters sell 3 units each at the same moment
    threads = [threading.Thread(target=sell) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly three succeed and the stock is 1, never negative
    batch.refresh_from_db()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 3
    assert batch.quantity == 1
    assert Movement.objects.filter(batch=batch, kind=MovementKind.SALE).count() == 3


@pytest.mark.django_db
def test_hy_b03_a_code_is_sold_only_from_the_batch_it_was_received_in(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given code R1 received in batch A, and batch B of the same drug
    drug = catalogue["amlodipine"]
    a = book(pharmacy, drug, PURCHASE, 5, at(date(2026, 7, 1)), batch_no="A", codes=["R1"])
    b = book(pharmacy, drug, PURCHASE, 5, at(date(2026, 7, 1)), batch_no="B")
    sale = {
        "pharmacy": pharmacy,
        "drug": drug,
        "quantity": 1,
        "unit_price": Decimal("18"),
        "traceability_codes": ["R1"],
        "sold_at": at(date(2026, 7, 2)),
        "actor": None,
    }
    # When it is sold from batch B: refused, nothing moves
    with pytest.raises(RuleViolation) as exc:
        stock_sale_book(batch=b, **sale)  # type: ignore[arg-type]
    assert exc.value.rule_id == "HY-B03"
    b.refresh_from_db()
    assert b.quantity == 5
    assert TraceabilityCode.objects.get(code="R1").sold_in is None
    # Then from batch A (given by id) it sells, and a new code is recorded as sold
    stock_sale_book(batch=a.pk, **{**sale, "quantity": 2, "traceability_codes": ["R1", "N1"]})  # type: ignore[arg-type]
    a.refresh_from_db()
    assert a.quantity == 3
    assert set(
        TraceabilityCode.objects.filter(sold_in__isnull=False).values_list("code", "batch_id")
    ) == {("R1", a.pk), ("N1", a.pk)}


@pytest.mark.django_db
def test_sale_without_a_batch_takes_the_earliest_expiring_one_with_enough(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given three batches: the earliest-expiring holds too little
    drug = catalogue["amlodipine"]
    batches = {}
    for no, expiry, qty in (
        ("E1", date(2027, 1, 1), 1),
        ("E2", date(2027, 6, 1), 5),
        ("E3", date(2028, 1, 1), 5),
    ):
        batch = stock_batch_get_or_create(
            pharmacy=pharmacy, drug=drug, batch_no=no, production_date=None, expiry_date=expiry
        )
        book(pharmacy, drug, PURCHASE, qty, at(date(2026, 7, 1)), batch_no=no)
        batches[no] = batch
    sale = {
        "pharmacy": pharmacy,
        "drug": drug,
        "unit_price": Decimal("18"),
        "traceability_codes": [],
        "sold_at": at(date(2026, 7, 2)),
        "actor": None,
    }
    # When 3 are sold with no batch named: E2 gives them
    movement = stock_sale_book(quantity=3, **sale)  # type: ignore[arg-type]
    assert movement.batch_id == batches["E2"].pk
    # Then more than any batch holds is refused and nothing changes
    with pytest.raises(DomainError):
        stock_sale_book(quantity=6, **sale)  # type: ignore[arg-type]
    assert sorted(StockBatch.objects.filter(drug=drug).values_list("quantity", flat=True)) == [
        1,
        2,
        5,
    ]
