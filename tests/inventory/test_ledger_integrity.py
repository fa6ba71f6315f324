"""The ledger links that have no database foreign key (inventory/models.py: Movement.pharmacy,
drug, purchase_import; TraceabilityCode.pharmacy, received_in, sold_in, left_in) stay equal
to what the batch says, whatever wrote them: imports (both paths), sales as dispensing books
them, hand-recorded movements, transfers and returns (GY-A06, HY-B03, HY-E06)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection

from inventory import imports
from inventory.models import Drug, Movement, MovementKind, StockBatch, TraceabilityCode
from inventory.services import (
    NewBatch,
    stock_movement_enter,
    stock_sale_book,
)
from pharmacies.models import Pharmacy
from tests.factories.inventory import at, row, run_import, tc

K = MovementKind

# Each query counts ledger rows whose undeclared link disagrees with the batch (or points at
# nothing).
BROKEN_LINKS = {
    "movement pharmacy/drug ≠ its batch's": (
        "SELECT count(*) FROM inventory_movement m "
        "JOIN inventory_stockbatch b ON b.id = m.batch_id "
        "WHERE m.pharmacy_id <> b.pharmacy_id OR m.drug_id <> b.drug_id"
    ),
    "movement of a missing import, or another pharmacy's": (
        "SELECT count(*) FROM inventory_movement m "
        "LEFT JOIN inventory_purchaseimport i ON i.id = m.purchase_import_id "
        "WHERE m.purchase_import_id IS NOT NULL "
        "AND (i.id IS NULL OR i.pharmacy_id <> m.pharmacy_id)"
    ),
    "code pharmacy ≠ its batch's": (
        "SELECT count(*) FROM inventory_traceabilitycode t "
        "JOIN inventory_stockbatch b ON b.id = t.batch_id WHERE t.pharmacy_id <> b.pharmacy_id"
    ),
    **{
        f"code {link} missing or of another batch": (
            "SELECT count(*) FROM inventory_traceabilitycode t "
            f"LEFT JOIN inventory_movement m ON m.id = t.{link}_id "
            f"WHERE t.{link}_id IS NOT NULL AND (m.id IS NULL OR m.batch_id <> t.batch_id)"
        )
        for link in ("received_in", "sold_in", "left_in")
    },
}


def broken_links() -> dict[str, int]:
    out = {}
    with connection.cursor() as cursor:
        for name, sql in BROKEN_LINKS.items():
            cursor.execute(sql)
            out[name] = cursor.fetchone()[0]
    return out


def code(n: int) -> str:
    return f"{n:020d}"


@pytest.mark.django_db
def test_ledger_links_without_database_keys_always_equal_the_batch(
    pharmacy: Pharmacy, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    amlo, losa = catalogue["amlodipine"], catalogue["losartan"]
    with time_machine.travel(datetime(2026, 8, 20, 12), tick=False):
        # Imported in two files
        for rows in (
            [
                row(amlo, traceability_codes=";".join(code(n) for n in range(1, 6))),
                row(losa, batch_no="L1", traceability_codes=code(20)),
            ],
            [row(losa, batch_no="L2", traceability_codes=code(30))],
        ):
            record = run_import(pharmacy, "进货.csv", imports.write_csv(rows))
            assert record.status == "imported", record.errors
        batch = StockBatch.objects.get(pharmacy=pharmacy, drug=amlo, batch_no="P1")
        other = StockBatch.objects.get(pharmacy=pharmacy, drug=losa, batch_no="L1")

        def enter(who: Pharmacy, kind: str, qty: int, **kw: Any) -> Movement:
            kw.setdefault("occurred_at", at(date(2026, 8, 10)))
            return stock_movement_enter(pharmacy=who, kind=kind, quantity=qty, actor=None, **kw)

        # Sold as dispensing books it, sold at the counter by hand and returned
        stock_sale_book(
            pharmacy=pharmacy,
            drug=amlo,
            batch=batch,
            quantity=1,
            unit_price=Decimal("12"),
            traceability_codes=[code(1)],
            sold_at=at(date(2026, 8, 9)),
            actor=None,
        )
        cash = enter(
            pharmacy, K.SALE, 1, batch=batch, unit_price=Decimal("12"), traceability_codes=[code(2)]
        )
        enter(pharmacy, K.SALE_RETURN, 1, sale=cash, reason="退货", traceability_codes=[code(2)])
        # Lost, returned to the supplier, transferred to another pharmacy and received there
        enter(pharmacy, K.LOSS, 1, batch=batch, reason="破损", traceability_codes=[code(3)])
        enter(pharmacy, K.PURCHASE_RETURN, 1, batch=other, supplier="国药", traceability_codes=[])
        transfer = {"counterparty_kind": "same_owner", "counterparty": "二店", "reference": "D1"}
        enter(pharmacy, K.TRANSFER_OUT, 1, batch=batch, traceability_codes=[code(4)], **transfer)
        enter(
            outsider_pharmacy,
            K.TRANSFER_IN,
            1,
            new_batch=NewBatch(drug=amlo, batch_no="P1"),
            traceability_codes=[code(4)],
            **transfer,
        )
    assert Movement.objects.count() >= 9 and TraceabilityCode.objects.count() == 7
    assert broken_links() == dict.fromkeys(BROKEN_LINKS, 0)


@pytest.mark.django_db
def test_the_integrity_check_notices_a_movement_that_disagrees_with_its_batch(
    pharmacy: Pharmacy, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    record = run_import(pharmacy, "进货.csv", imports.write_csv([row(catalogue["amlodipine"])]))
    assert record.status == "imported"
    Movement.objects.update(pharmacy=outsider_pharmacy)
    TraceabilityCode.objects.filter(code=tc("C001")).update(pharmacy=outsider_pharmacy)
    broken = broken_links()
    assert broken["movement pharmacy/drug ≠ its batch's"] == 1
    assert broken["movement of a missing import, or another pharmacy's"] == 1
    assert broken["code pharmacy ≠ its batch's"] == 1
