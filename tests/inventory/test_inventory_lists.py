"""The inventory lists (issue 16.2), each with search, filters, sort and an Excel export of what
is filtered, scoped like the page (core.lists), and a query count that does not grow with the
rows: the drug catalogue, the stock ledger, purchase imports and stocktakes."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import User
from inventory.models import Drug, PurchaseImport, PurchaseImportStatus, Stocktake
from inventory.services import stocktakes_open_for_period
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import PURCHASE, DrugFactory, at, book
from tests.factories.pharmacies import PharmacyFactory
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def column(response: Any, index: int = 0) -> list[Any]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


def constant_queries(client: Client, url: str, grow: Callable[[], Any]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    grow()
    assert count() == few


# --- The drug catalogue (national: every role reads the same catalogue)


def test_catalogue_search_filter_sort_and_export(
    client: Client, catalogue: dict[str, Drug], manager: User
) -> None:
    login(client, manager)
    url = "/inventory/catalogue/"
    page = client.get(url, {"q": "XC0000000002"}).content.decode()
    assert "卡托普利片" in page and "氯沙坦钾片" not in page
    page = client.get(url, {"q": "沙坦"}).content.decode()
    assert "氯沙坦钾片" in page and "缬沙坦胶囊" in page and "卡托普利片" not in page
    page = client.get(url, {"category": "health_food"}).content.decode()
    assert "蛋白粉" in page and "卡托普利片" not in page
    names = column(client.get(url, {"therapeutic": "0", "sort": "-code", "export": "xlsx"}), 1)
    assert names[0] == "维生素C片" and "卡托普利片" not in names
    assert "蛋白粉" in names


def test_catalogue_query_count_is_constant(
    client: Client, catalogue: dict[str, Drug], manager: User
) -> None:
    login(client, manager)
    constant_queries(
        client, "/inventory/catalogue/", lambda: [DrugFactory.create() for _ in range(6)]
    )


# --- The stock ledger (the pharmacy's own)


def _ledger(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> None:
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, at(date(2026, 7, 3)), batch_no="AM01")
    book(pharmacy, catalogue["captopril"], PURCHASE, 7, at(date(2026, 7, 4)), batch_no="KT02")


def test_ledger_search_by_batch_filter_and_export(
    client: Client, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    _ledger(pharmacy, catalogue)
    login(client, manager)
    url = "/inventory/movements/"
    page = client.get(url, {"q": "KT02"}).content.decode()
    assert "卡托普利片" in page and "苯磺酸氨氯地平片" not in page
    drugs = column(client.get(url, {"kind": "purchase", "sort": "drug", "export": "xlsx"}), 2)
    assert drugs == ["卡托普利片", "苯磺酸氨氯地平片"]
    drugs = column(client.get(url, {"date_from": "2026-07-04", "export": "xlsx"}), 2)
    assert drugs == ["卡托普利片"]


def test_ledger_of_another_pharmacy_is_not_listed_or_exported(
    client: Client,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
) -> None:
    _ledger(pharmacy, catalogue)
    login(client, outsider_pharmacy_manager)
    assert "卡托普利片" not in client.get("/inventory/movements/").content.decode()
    assert column(client.get("/inventory/movements/", {"export": "xlsx"})) == []


def test_ledger_query_count_is_constant(
    client: Client, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    _ledger(pharmacy, catalogue)
    login(client, manager)

    def grow() -> None:
        for n in range(6):
            book(
                pharmacy, catalogue["losartan"], PURCHASE, 2, at(date(2026, 7, 5)), batch_no=f"L{n}"
            )

    constant_queries(client, "/inventory/movements/", grow)


# --- Purchase imports (the pharmacy's own)


def _import(pharmacy: Pharmacy, name: str, status: str) -> PurchaseImport:
    return PurchaseImport.objects.create(
        pharmacy=pharmacy, original_name=name, file_format="xlsx", sha256=name, status=status
    )


def test_imports_search_filter_export_and_outsiders(
    client: Client,
    pharmacy: Pharmacy,
    manager: User,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
) -> None:
    _import(pharmacy, "七月进货.xlsx", PurchaseImportStatus.IMPORTED)
    _import(pharmacy, "八月进货.xlsx", PurchaseImportStatus.FAILED)
    login(client, manager)
    url = "/inventory/imports/"
    page = client.get(url, {"q": "七月"}).content.decode()
    assert "七月进货.xlsx" in page and "八月进货.xlsx" not in page
    assert column(client.get(url, {"status": "failed", "export": "xlsx"})) == ["八月进货.xlsx"]
    constant_queries(
        client, url, lambda: [_import(pharmacy, f"{n}.xlsx", "imported") for n in range(6)]
    )
    client = login(Client(), outsider_pharmacy_manager)
    assert "七月进货.xlsx" not in client.get(url).content.decode()
    assert column(client.get(url, {"export": "xlsx"})) == []


# --- Stocktakes (a pharmacy: its own; the bureau: its region's)


def _stocktakes(hy: Programme, *pharmacies: Pharmacy) -> None:
    stocktakes_open_for_period(programme=hy, pharmacies=list(pharmacies), today=date(2026, 10, 1))


def test_stocktakes_search_filter_and_export_for_the_bureau(
    client: Client, hy: Programme, pharmacy: Pharmacy, reviewer: User
) -> None:
    other = PharmacyFactory.create(organisation__name="衡阳县益元堂药店")
    _stocktakes(hy, pharmacy, other)
    Stocktake.objects.filter(pharmacy=other).update(is_imbalanced=True)
    login(client, reviewer)
    url = "/inventory/stocktakes/"
    page = client.get(url, {"q": "益元堂"}).content.decode()
    assert "衡阳县益元堂药店" in page and pharmacy.name not in page
    assert column(client.get(url, {"imbalanced": "1", "export": "xlsx"})) == ["衡阳县益元堂药店"]
    names = column(client.get(url, {"programme": "HY-TM", "sort": "-pharmacy", "export": "xlsx"}))
    assert names == sorted([pharmacy.name, "衡阳县益元堂药店"], reverse=True)
    start = Stocktake.objects.values_list("period_start", flat=True).first()
    assert (
        start and len(column(client.get(url, {"period": start.isoformat(), "export": "xlsx"}))) == 2
    )


def test_stocktakes_of_others_are_not_listed_or_exported(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
    outsider_bureau_admin: User,
) -> None:
    _stocktakes(hy, pharmacy)
    for user in (outsider_pharmacy_manager, outsider_bureau_admin):
        client = login(Client(), user)
        assert column(client.get("/inventory/stocktakes/", {"export": "xlsx"})) == []


def test_stocktakes_query_count_is_constant(
    client: Client, hy: Programme, pharmacy: Pharmacy, reviewer: User
) -> None:
    _stocktakes(hy, pharmacy)
    login(client, reviewer)
    constant_queries(
        client,
        "/inventory/stocktakes/",
        lambda: _stocktakes(hy, *[PharmacyFactory.create() for _ in range(5)]),
    )
