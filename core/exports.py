"""Spreadsheet exports (CSV and xlsx): cells that a spreadsheet program would run as a
formula are neutralised (CSV/formula injection, OWASP): every export goes through here.

A table (header row, then rows) is sent with `xlsx_response` or `csv_response`; its bytes
alone (a file to keep or to import back) come from `xlsx_bytes` / `csv_bytes`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook

from core.responses import CSV, XLSX, download_response

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


def csv_bytes(headers: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel and WPS need to read Chinese text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(spreadsheet_row(str(h) for h in headers))
    writer.writerows(spreadsheet_row(r) for r in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(headers: Iterable[Any], rows: Iterable[Iterable[Any]], *, title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title))
    sheet.append(spreadsheet_row(str(h) for h in headers))
    for row in rows:
        sheet.append(spreadsheet_row(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(
    filename: str, headers: Iterable[Any], rows: Iterable[Iterable[Any]], *, title: str = ""
) -> HttpResponse:
    """The table as an xlsx download (one sheet named `title`, or the filename's stem)."""
    title = title or filename.rsplit(".", 1)[0]
    return download_response(xlsx_bytes(headers, rows, title=title[:31]), filename, XLSX)


def csv_response(
    filename: str, headers: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> HttpResponse:
    return download_response(csv_bytes(headers, rows), filename, CSV)
