"""Shared helpers of the patients list-page tests (core.lists)."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def urls_of(page: str) -> list[str]:
    """Every URL the page links to or submits to."""
    return re.findall(r'(?:href|action|src)="([^"]*)"', page)
