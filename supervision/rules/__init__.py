"""The fund-supervision rules (supervision-rules.md, SV-F01–SV-F14), one small module per rule
or group; `base` says what a rule is. Importing this package registers them all."""

from supervision.rules import (
    attempts,
    capacity,
    codes,
    dispensings,
    filings,
    forgery,
    patterns,
    prices,
    receipts,
    resale,
    roster,
    stocktakes,
    supply,
    trends,
)
from supervision.rules.base import RULES, Hit, Rule, Scope

__all__ = [
    "RULES",
    "Hit",
    "Rule",
    "Scope",
    "attempts",
    "capacity",
    "codes",
    "dispensings",
    "filings",
    "forgery",
    "patterns",
    "prices",
    "receipts",
    "resale",
    "roster",
    "stocktakes",
    "supply",
    "trends",
]
