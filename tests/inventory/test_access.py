"""Outsiders get 404 on another pharmacy's ledger, imports, stocktakes and files; lists pin
their query counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from inventory import imports
from inventory.models import Drug, Stocktake
from inventory.services import purchase_import_create, stocktakes_open_for_quarter
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.conftest import login
from tests.inventory.conftest import PURCHASE, at, book


@pytest.fixture
def stocktake(hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> Stocktake:
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, at(date(2026, 7, 3)))
    stocktakes_open_for_quarter(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
    return Stocktake.objects.get()


@pytest.mark.django_db
def test_outsider_pharmacy_gets_404_on_stocktakes_imports_and_files(
    client: Client,
    stocktake: Stocktake,
    pharmacy: Pharmacy,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
) -> None:
    record = purchase_import_create(
        pharmacy=pharmacy, name="a.csv", data=imports.write_csv([]), actor=None
    )
    login(client, outsider_pharmacy_manager)
    for url in [
        f"/inventory/stocktakes/{stocktake.pk}/",
        f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx",
        f"/inventory/stocktakes/{stocktake.pk}/pdf/",
        f"/inventory/stocktakes/{stocktake.pk}/counted.xlsx",
        f"/inventory/imports/{record.pk}/",
        f"/inventory/imports/{record.pk}/file/",
        f"/inventory/pharmacies/{pharmacy.pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/inventory/stocktakes/{stocktake.pk}/upload/").status_code == 404
    # Their own pages show none of ours
    page = client.get("/inventory/").content.decode()
    assert "苯磺酸氨氯地平片" not in page
    assert "2026-07-01" not in client.get("/inventory/stocktakes/").content.decode()


@pytest.mark.django_db
def test_outsider_bureau_gets_404_on_our_stocktake_and_pharmacy(
    client: Client, stocktake: Stocktake, pharmacy: Pharmacy, outsider_bureau_admin: User
) -> None:
    login(client, outsider_bureau_admin)
    assert client.get(f"/inventory/stocktakes/{stocktake.pk}/").status_code == 404
    assert client.get(f"/inventory/pharmacies/{pharmacy.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_user_without_a_pharmacy_profile_gets_404_on_the_ledger(
    client: Client, personas: dict[str, User]
) -> None:
    login(client, personas["pharmacy_manager"])  # no Pharmacy row yet
    assert client.get("/inventory/").status_code == 404


@pytest.mark.django_db
def test_bureau_reviewer_sees_the_pharmacy_stock_of_the_region(
    client: Client, stocktake: Stocktake, pharmacy: Pharmacy, reviewer: User
) -> None:
    login(client, reviewer)
    assert (
        "苯磺酸氨氯地平片" in client.get(f"/inventory/pharmacies/{pharmacy.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_list_pages_pin_their_query_counts(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    manager: User,
    reviewer: User,
    django_assert_max_num_queries: Any,
) -> None:
    for n, drug in enumerate(d for d in catalogue.values() if d.category == "drug"):
        for b in range(3):
            book(pharmacy, drug, PURCHASE, 5, at(date(2026, 7, 3 + n)), batch_no=f"B{b}")
    stocktakes_open_for_quarter(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
    login(client, manager)
    for url, limit in [
        ("/inventory/", 30),
        ("/inventory/movements/", 12),
        ("/inventory/imports/", 12),
        ("/inventory/stocktakes/", 12),
        ("/inventory/catalogue/", 12),
    ]:
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url
    client = login(Client(), reviewer)
    for url in ("/inventory/stocktakes/", "/supervision/findings/"):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200, url
