"""Writes of the stock ledger, by subject: `ledger` (batches, movements, counter sales, movements
entered by hand), `codes` (traceability codes), `imports` (purchase imports), `stocktakes`
(quarterly stocktakes) and `catalogue` (drugs, scope, price caps). Callers import from here."""

from inventory.services.catalogue import (
    drug_catalogue_import,
    drug_scope_set,
    drug_update,
    price_cap_set,
)
from inventory.services.imports import (
    purchase_import_create,
    purchase_import_process,
    purchase_imports_recover,
)
from inventory.services.ledger import (
    NewBatch,
    stock_batch_get_or_create,
    stock_closed_until,
    stock_movement_enter,
    stock_movement_record,
    stock_sale_book,
    stock_sale_reverse,
)
from inventory.services.stocktakes import (
    stocktake_accept,
    stocktake_blind_set,
    stocktake_period_ended,
    stocktake_return,
    stocktake_submit,
    stocktakes_open_for_period,
    stocktakes_remind_and_escalate,
)

__all__ = [
    "NewBatch",
    "drug_catalogue_import",
    "drug_scope_set",
    "drug_update",
    "price_cap_set",
    "purchase_import_create",
    "purchase_import_process",
    "purchase_imports_recover",
    "stock_batch_get_or_create",
    "stock_closed_until",
    "stock_movement_enter",
    "stock_movement_record",
    "stock_sale_book",
    "stock_sale_reverse",
    "stocktake_accept",
    "stocktake_blind_set",
    "stocktake_period_ended",
    "stocktake_return",
    "stocktake_submit",
    "stocktakes_open_for_period",
    "stocktakes_remind_and_escalate",
]
