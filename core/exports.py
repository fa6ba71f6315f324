"""Spreadsheet exports (CSV and xlsx): cells that a spreadsheet program would run as a
formula are neutralised (CSV/formula injection, OWASP): every export goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# `=`, `+`, `-`, `@` start a formula in Excel, WPS and LibreOffice; a leading tab or carriage
# return hides such a prefix from a naive check and is dropped by some importers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A text starting like a formula gets a leading apostrophe (shown as text, never run);
    numbers, dates and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_cell(v) for v in values]
