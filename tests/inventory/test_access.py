"""Outsiders get 404 on another pharmacy's ledger, imports, stocktakes and files; lists pin
their query counts."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from accounts.models import User
from core.models import Notification
from inventory import imports
from inventory.models import Drug, StockBatch, Stocktake, StocktakeStatus
from inventory.services import purchase_import_create, stocktakes_open_for_period
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import PURCHASE, at, book, key_for
from tests.factories.sessions import login


@pytest.fixture
def stocktake(hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> Stocktake:
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, at(date(2026, 7, 3)))
    stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
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
    stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
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
    # The stocktakes list: + the paginator count and its programme and period filter choices.
    for url, limit in [("/inventory/stocktakes/", 14), ("/supervision/findings/", 12)]:
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_outsider_bureau_cannot_review_our_stocktake(
    client: Client, stocktake: Stocktake, personas: dict[str, User]
) -> None:
    from accounts.models import Organisation, OrganisationKind, Role
    from tests.factories import member, region

    centre = Organisation.objects.create(
        kind=OrganisationKind.CENTRE, name="贵阳市医疗保障事务中心", region=region("520100")
    )
    login(client, member(Role.BUREAU_REVIEWER, organisation=centre, username="gy_reviewer"))
    response = client.post(
        f"/inventory/stocktakes/{stocktake.pk}/review/", {"confirmed": "1", "decision": "accept"}
    )
    assert response.status_code == 404
    stocktake.refresh_from_db()
    assert stocktake.status == "open"


@pytest.mark.django_db
def test_api_outsider_key_gets_404_on_our_stocktake_and_stock_batch(
    client: Client,
    stocktake: Stocktake,
    pharmacy: Pharmacy,
    manager: User,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
) -> None:
    batch = StockBatch.objects.get(pharmacy=pharmacy)
    urls = [f"/api/v1/stocktakes/{stocktake.pk}/", f"/api/v1/stock-batches/{batch.pk}/"]
    theirs = key_for(outsider_pharmacy, outsider_pharmacy_manager)
    for url in urls:
        assert client.get(url, **theirs).status_code == 404, url  # type: ignore[arg-type]
    # Our own key reads them: the 404 is the scoping, not a missing route
    ours = key_for(pharmacy, manager)
    for url in urls:
        assert client.get(url, **ours).status_code == 200, url  # type: ignore[arg-type]


@pytest.mark.django_db
def test_outsider_pharmacy_cannot_set_blind_or_review_our_stocktake(
    client: Client,
    stocktake: Stocktake,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
) -> None:
    login(client, outsider_pharmacy_manager)
    blind = client.post(
        f"/inventory/stocktakes/{stocktake.pk}/blind/", {"blind": "1", "reason": "x"}
    )
    assert blind.status_code == 404
    review = client.post(
        f"/inventory/stocktakes/{stocktake.pk}/review/", {"confirmed": "1", "decision": "accept"}
    )
    assert review.status_code == 404
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.OPEN and not stocktake.blind
    assert not stocktake.events.exists()
    assert not Notification.objects.filter(key__startswith="stocktake-blind").exists()


@pytest.mark.django_db
def test_purchase_export_holds_only_the_pharmacy_own_rows(
    client: Client,
    pharmacy: Pharmacy,
    manager: User,
    outsider_pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
) -> None:
    drug = catalogue["amlodipine"]
    book(pharmacy, drug, PURCHASE, 5, at(date(2026, 7, 3)), batch_no="OURS-A1")
    book(outsider_pharmacy, drug, PURCHASE, 7, at(date(2026, 7, 4)), batch_no="THEIRS-B9")
    login(client, manager)
    xlsx = client.get("/inventory/export/")
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    batch_nos = [r[5] for r in rows[1:]]
    assert batch_nos == ["OURS-A1"]
    response = client.get("/inventory/export/?format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert [r[5] for r in list(csv.reader(io.StringIO(text)))[1:]] == ["OURS-A1"]
    assert "THEIRS-B9" not in text
