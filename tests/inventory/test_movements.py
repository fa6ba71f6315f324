"""Movements a pharmacy records by hand: purchase returns, cash sales and their returns,
transfers in/out with the counterparty, losses and destruction (HY-E06 ledger, HY-B01,
HY-B03 traceability codes)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from core.errors import DomainError, RuleViolation
from inventory.models import (
    CounterpartyKind,
    Drug,
    Movement,
    MovementKind,
    StockBatch,
    TraceabilityCode,
)
from inventory.selectors import ledger_reconciliation
from inventory.services import (
    NewBatch,
    stock_sale_book,
    stocktake_submit,
    stocktakes_open_for_period,
)
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import PURCHASE, at, book, enter

K = MovementKind
NOW = datetime(2026, 8, 20, 12, 0)


def code(n: int) -> str:
    return f"{n:020d}"


@pytest.fixture
def stocked(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> StockBatch:
    """100 units of amlodipine batch B1 bought on 1 August with codes 1–10."""
    return book(
        pharmacy,
        catalogue["amlodipine"],
        PURCHASE,
        100,
        at(date(2026, 8, 1)),
        codes=[code(n) for n in range(1, 11)],
    )


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_hy_e06_every_hand_recorded_kind_moves_stock_and_reconciles(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], stocked: StockBatch
) -> None:
    # Given 100 in stock
    enter(pharmacy, K.PURCHASE_RETURN, 5, batch=stocked, supplier="湖南医药公司", reference="TH-1")
    sale = enter(
        pharmacy,
        K.SALE,
        10,
        day=11,
        batch=stocked,
        unit_price=Decimal("18.50"),
        traceability_codes=[code(1), code(2)],
    )
    enter(
        pharmacy,
        K.SALE_RETURN,
        1,
        day=12,
        sale=sale,
        traceability_codes=[code(1)],
        reason="顾客不需要",
    )
    new = enter(
        pharmacy,
        K.TRANSFER_IN,
        4,
        day=13,
        new_batch=NewBatch(
            drug=catalogue["captopril"], batch_no="K9", expiry_date=date(2028, 1, 1)
        ),
        counterparty_kind=CounterpartyKind.SAME_OWNER,
        counterparty="衡阳县康民大药房二店",
        reference="DB-1",
    )
    enter(
        pharmacy,
        K.TRANSFER_OUT,
        2,
        day=14,
        batch=stocked,
        counterparty_kind=CounterpartyKind.OTHER,
        counterparty="衡阳县人民医院药房",
        reference="DB-2",
        traceability_codes=[code(3)],
    )
    enter(pharmacy, K.LOSS, 1, day=15, batch=stocked, reason="包装破损")
    enter(pharmacy, K.DESTRUCTION, 1, day=16, batch=stocked, reason="过期销毁")
    stocked.refresh_from_db()
    assert stocked.quantity == 100 - 5 - 10 + 1 - 2 - 1 - 1
    assert StockBatch.objects.get(pk=new.batch_id).quantity == 4
    assert new.counterparty == "衡阳县康民大药房二店"
    # The reconciliation sees every kind in its column
    ledger = ledger_reconciliation(
        pharmacy=pharmacy, period_start=date(2026, 7, 1), until=at(date(2026, 9, 1))
    )
    row = ledger[stocked.pk]
    assert (row["purchases"], row["purchase_returns"], row["sales"], row["sale_returns"]) == (
        100,
        5,
        10,
        1,
    )
    assert (row["transfers_out"], row["losses"], row["expected"]) == (2, 2, stocked.quantity)
    assert ledger[new.batch_id]["transfers_in"] == 4
    # Codes: the returned one is sellable again, the transferred one has left
    assert TraceabilityCode.objects.get(code=code(1)).sold_in_id is None
    assert TraceabilityCode.objects.get(code=code(2)).sold_in_id == sale.pk
    left = TraceabilityCode.objects.get(code=code(3)).left_in
    assert left is not None and left.kind == K.TRANSFER_OUT
    assert Movement.objects.filter(entered_by_hand=True).count() == 7


@pytest.mark.django_db
def test_outgoing_quantity_beyond_stock_on_hand_is_refused_naming_the_field(
    pharmacy: Pharmacy, stocked: StockBatch
) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        (K.PURCHASE_RETURN, {"supplier": "湖南医药公司"}),
        (K.SALE, {"unit_price": Decimal("1")}),
        (K.TRANSFER_OUT, {"counterparty_kind": "other", "counterparty": "某店", "reference": "D"}),
        (K.LOSS, {"reason": "破损"}),
        (K.DESTRUCTION, {"reason": "过期"}),
    ]
    for kind, extra in cases:
        with pytest.raises(DomainError) as exc:
            enter(pharmacy, kind, 101, batch=stocked, **extra)
        assert (
            exc.value.field == "quantity" and "超过" in str(exc.value) and "100" in str(exc.value)
        )
    # Exactly the stock on hand is allowed
    enter(pharmacy, K.LOSS, 100, batch=stocked, reason="水浸")
    stocked.refresh_from_db()
    assert stocked.quantity == 0
    assert Movement.objects.filter(entered_by_hand=True).count() == 1


@pytest.mark.django_db
def test_each_kind_requires_its_own_fields(pharmacy: Pharmacy, stocked: StockBatch) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (K.PURCHASE_RETURN, {}, "supplier"),
        (K.SALE, {}, "unit_price"),
        (K.TRANSFER_OUT, {"counterparty": "某店", "reference": "D"}, "counterparty_kind"),
        (K.TRANSFER_OUT, {"counterparty_kind": "other", "reference": "D"}, "counterparty"),
        (K.TRANSFER_OUT, {"counterparty_kind": "other", "counterparty": "某店"}, "reference"),
        (K.LOSS, {}, "reason"),
        (K.DESTRUCTION, {"reason": "  "}, "reason"),
        (K.PURCHASE, {}, "kind"),  # purchases come by import
        (K.STOCKTAKE_LOSS, {}, "kind"),
    ]
    for kind, extra, field in cases:
        with pytest.raises(DomainError) as exc:
            enter(pharmacy, kind, 1, batch=stocked, **extra)
        assert exc.value.field == field, (kind, field)
    with pytest.raises(DomainError) as exc:
        enter(pharmacy, K.LOSS, 1, batch=stocked, reason="x", occurred_at=at(date(2026, 8, 21)))
    assert exc.value.field == "occurred_at"
    assert Movement.objects.count() == 1  # the purchase only


@pytest.mark.django_db
def test_hy_b01_transfer_in_of_a_health_food_is_refused_a_special_food_allowed(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    transfer: dict[str, Any] = {
        "counterparty_kind": "same_owner",
        "counterparty": "二店",
        "reference": "D1",
    }
    with pytest.raises(RuleViolation) as exc:
        enter(
            pharmacy,
            K.TRANSFER_IN,
            2,
            new_batch=NewBatch(drug=catalogue["health_food"], batch_no="H1"),
            **transfer,
        )
    assert exc.value.rule_id == "HY-B01" and exc.value.field == "insurance_code"
    assert not StockBatch.objects.filter(pharmacy=pharmacy).exists()
    moved = enter(
        pharmacy,
        K.TRANSFER_IN,
        2,
        new_batch=NewBatch(drug=catalogue["special_food"], batch_no="S1"),
        **transfer,
    )
    assert StockBatch.objects.get(pk=moved.batch_id).quantity == 2


@pytest.mark.django_db
def test_hy_b01_does_not_refuse_a_transfer_in_outside_tm_premises(
    outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    moved = enter(
        outsider_pharmacy,
        K.TRANSFER_IN,
        2,
        new_batch=NewBatch(drug=catalogue["health_food"], batch_no="H1"),
        counterparty_kind="other",
        counterparty="某公司",
        reference="D1",
    )
    assert StockBatch.objects.get(pk=moved.batch_id).quantity == 2


@pytest.mark.django_db
def test_hy_b03_codes_are_format_checked_and_in_one_place_at_a_time(
    pharmacy: Pharmacy,
    outsider_pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    stocked: StockBatch,
) -> None:
    # A malformed or repeated code, or more codes than units: refused
    for codes in (["12345"], [code(1), code(1)], [code(1), code(2)]):
        with pytest.raises(RuleViolation) as exc:
            enter(pharmacy, K.LOSS, 1, batch=stocked, reason="破损", traceability_codes=codes)
        assert exc.value.rule_id == "HY-B03" and exc.value.field == "traceability_codes"
    # A code sold already cannot leave again
    enter(pharmacy, K.SALE, 1, batch=stocked, unit_price=Decimal("9"), traceability_codes=[code(1)])
    with pytest.raises(RuleViolation, match="已售出"):
        enter(
            pharmacy,
            K.SALE,
            1,
            batch=stocked,
            unit_price=Decimal("9"),
            traceability_codes=[code(1)],
        )
    # A code transferred to the same owner's other shop may be received there, once
    transfer: dict[str, Any] = {
        "counterparty_kind": "same_owner",
        "counterparty": "二店",
        "reference": "DB-7",
    }
    enter(pharmacy, K.TRANSFER_OUT, 1, batch=stocked, traceability_codes=[code(4)], **transfer)
    arrived = enter(
        outsider_pharmacy,
        K.TRANSFER_IN,
        1,
        new_batch=NewBatch(drug=catalogue["amlodipine"], batch_no="B1"),
        traceability_codes=[code(4)],
        **transfer,
    )
    moved = TraceabilityCode.objects.get(code=code(4))
    assert (moved.pharmacy_id, moved.received_in_id, moved.left_in_id) == (
        outsider_pharmacy.pk,
        arrived.pk,
        None,
    )
    # ... but a code still on hand here, or destroyed here, cannot be received elsewhere
    enter(pharmacy, K.DESTRUCTION, 1, batch=stocked, reason="过期", traceability_codes=[code(5)])
    for taken in (code(6), code(5)):
        with pytest.raises(RuleViolation, match="已在其他药店或批次登记"):
            enter(
                outsider_pharmacy,
                K.TRANSFER_IN,
                1,
                batch=arrived.batch,
                traceability_codes=[taken],
                **transfer,
            )
    # ... and the other pharmacy cannot sell or lose a code that is ours
    with pytest.raises(RuleViolation, match="不在该批次库存中"):
        enter(
            outsider_pharmacy,
            K.LOSS,
            1,
            batch=arrived.batch,
            reason="x",
            traceability_codes=[code(6)],
        )


@pytest.mark.django_db
def test_a_cash_sale_is_returned_at_most_once_and_insurance_sales_not_here(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], stocked: StockBatch
) -> None:
    sale = enter(
        pharmacy,
        K.SALE,
        2,
        batch=stocked,
        unit_price=Decimal("18"),
        traceability_codes=[code(1), code(2)],
    )
    # The codes must be named when the sale had them
    with pytest.raises(RuleViolation) as exc:
        enter(pharmacy, K.SALE_RETURN, 1, day=11, sale=sale)
    assert exc.value.rule_id == "HY-B03"
    enter(pharmacy, K.SALE_RETURN, 1, day=11, sale=sale, traceability_codes=[code(2)])
    # More than is left, or the same code twice: refused
    with pytest.raises(DomainError) as exc2:
        enter(pharmacy, K.SALE_RETURN, 2, day=11, sale=sale, traceability_codes=[code(1), code(2)])
    assert exc2.value.field == "quantity"
    with pytest.raises(RuleViolation, match="已退回"):
        enter(pharmacy, K.SALE_RETURN, 1, day=11, sale=sale, traceability_codes=[code(2)])
    # The returned unit's code may be sold again
    enter(
        pharmacy,
        K.SALE,
        1,
        day=12,
        batch=stocked,
        unit_price=Decimal("18"),
        traceability_codes=[code(2)],
    )
    # An insurance (dispensing) sale is returned with its dispensing, not here
    dispensed = stock_sale_book(
        pharmacy=pharmacy,
        drug=catalogue["amlodipine"],
        batch=stocked,
        quantity=1,
        unit_price=Decimal("18"),
        traceability_codes=[],
        sold_at=at(date(2026, 8, 12)),
        actor=None,
        reference="DSP-1",
    )
    with pytest.raises(DomainError) as exc3:
        enter(pharmacy, K.SALE_RETURN, 1, day=13, sale=dispensed)
    assert exc3.value.field == "sale" and "购药结算记录" in str(exc3.value)
    stocked.refresh_from_db()
    assert stocked.quantity == 100 - 2 + 1 - 1 - 1


@pytest.mark.django_db
def test_hy_e06_movements_recorded_while_a_stocktake_is_open_are_reconciled(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    """Stock that moves during a count: entries dated before the count time are in the
    expected quantity, later ones are not; once submitted, the counted period is closed."""
    with time_machine.travel(datetime(2026, 10, 9, 8, 0), tick=False):
        batch = book(pharmacy, catalogue["amlodipine"], PURCHASE, 50, at(date(2026, 8, 1)))
        stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
    stocktake = pharmacy.stocktakes.get()
    count_time = at(date(2026, 10, 9), 9)
    with time_machine.travel(datetime(2026, 10, 9, 12, 0), tick=False):
        # Recorded at noon: a loss at 08:30 (before the count) and a transfer out at 11:00
        enter(pharmacy, K.LOSS, 3, batch=batch, reason="破损", occurred_at=at(date(2026, 10, 9), 8))
        enter(
            pharmacy,
            K.TRANSFER_OUT,
            5,
            batch=batch,
            counterparty_kind="same_owner",
            counterparty="二店",
            reference="DB-9",
            occurred_at=at(date(2026, 10, 9), 11),
        )
        # Counted 47 at 09:00: balanced (the transfer after the count is not in it)
        stocktake_submit(
            stocktake=stocktake, counts={batch.pk: (47, "")}, counted_at=count_time, actor=None
        )
        stocktake.refresh_from_db()
        line = stocktake.lines.get()
        assert (line.losses, line.transfers_out, line.expected) == (3, 0, 47)
        assert not stocktake.is_imbalanced
        # The counted period is closed: a backdated entry is refused, a later one allowed
        with pytest.raises(RuleViolation) as exc:
            enter(
                pharmacy,
                K.LOSS,
                1,
                batch=batch,
                reason="补录",
                occurred_at=at(date(2026, 10, 9), 8),
            )
        assert exc.value.rule_id == "HY-E06" and exc.value.field == "occurred_at"
        enter(
            pharmacy, K.LOSS, 1, batch=batch, reason="破损", occurred_at=at(date(2026, 10, 9), 10)
        )
    batch.refresh_from_db()
    assert batch.quantity == 50 - 3 - 5 - 1


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (
            K.TRANSFER_OUT,
            {"counterparty_kind": "same_owner", "counterparty": "二店", "reference": "DB-8"},
        ),
        (K.PURCHASE_RETURN, {"supplier": "国药控股湖南有限公司", "reference": "TH-1"}),
        (K.LOSS, {"reason": "破损"}),
        (K.DESTRUCTION, {"reason": "过期"}),
    ],
)
def test_hy_b03_a_code_that_has_left_the_pharmacy_cannot_be_sold(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], stocked: StockBatch, kind: str, extra: Any
) -> None:
    # Given code 2 left the pharmacy (transfer out, return, loss or destruction)
    enter(pharmacy, kind, 1, batch=stocked, traceability_codes=[code(2)], **extra)
    sale: dict[str, Any] = {
        "pharmacy": pharmacy,
        "drug": catalogue["amlodipine"],
        "quantity": 1,
        "unit_price": Decimal("9.00"),
        "sold_at": at(date(2026, 8, 12)),
        "actor": None,
    }
    # When the counter books a sale with it, from its batch or the earliest one: refused
    for batch in (stocked, None):
        with pytest.raises(RuleViolation, match="已调出、退货、报损或销毁") as exc:
            stock_sale_book(batch=batch, traceability_codes=[code(2)], **sale)
        assert exc.value.rule_id == "HY-B03"
    stocked.refresh_from_db()
    assert stocked.quantity == 99  # only the code that left; the refused sales took nothing
    # A code still on hand sells
    sold = stock_sale_book(batch=stocked, traceability_codes=[code(3)], **sale)
    assert TraceabilityCode.objects.get(code=code(3)).sold_in_id == sold.pk
