"""Writes of prescriptions and dispensing, by subject: `issue` (prescriptions issued in the
portal or recorded at the pharmacy), `dispensing` (every counter check of a sale), `booking`
(the sale's transaction: settlement split, items, quota, stock), `quota` (the quota ledger),
`returns` (a whole sale reversed), `records` (retention and the delivery register), and the
shared `common`. Callers import from here."""

from prescriptions.services.common import LineInput, ProxyInput
from prescriptions.services.dispensing import dispensing_submit
from prescriptions.services.issue import ItemInput, prescription_create
from prescriptions.services.quote import Quote, QuoteLine, dispensing_quote
from prescriptions.services.records import delivery_record, dispensing_delete, prescription_delete
from prescriptions.services.recoveries import fund_recovery_record
from prescriptions.services.returns import dispensing_return

__all__ = [
    "ItemInput",
    "LineInput",
    "ProxyInput",
    "Quote",
    "QuoteLine",
    "delivery_record",
    "dispensing_delete",
    "dispensing_quote",
    "dispensing_return",
    "dispensing_submit",
    "fund_recovery_record",
    "prescription_create",
    "prescription_delete",
]
