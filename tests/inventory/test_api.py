"""API: a POS system uploads its purchase ledger with the pharmacy's key; scoping by 404."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from inventory import imports
from inventory.models import Drug, PurchaseImport
from pharmacies.models import Pharmacy
from tests.factories.inventory import PURCHASE, at, book, key_for, row


@pytest.mark.django_db
def test_pos_uploads_a_purchase_ledger_and_polls_it(
    client: Client, pharmacy: Pharmacy, manager: User, catalogue: dict[str, Drug]
) -> None:
    headers = key_for(pharmacy, manager)
    upload = io.BytesIO(imports.write_csv([row(catalogue["amlodipine"])]))
    upload.name = "pos.csv"
    response = client.post("/api/v1/purchase-imports/", {"file": upload}, **headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.content
    record_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    detail = client.get(f"/api/v1/purchase-imports/{record_id}/", **headers)  # type: ignore[arg-type]
    assert detail.status_code == 200
    # A renamed executable is refused with a 400 and a Chinese message
    bad = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64)
    bad.name = "pos.xlsx"
    refused = client.post("/api/v1/purchase-imports/", {"file": bad}, **headers)  # type: ignore[arg-type]
    assert refused.status_code == 400 and "扩展名" in refused.json()["detail"]
    assert PurchaseImport.objects.count() == 1


@pytest.mark.django_db
def test_api_outsider_gets_404_and_lists_are_scoped_with_pinned_queries(
    client: Client,
    pharmacy: Pharmacy,
    manager: User,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
    catalogue: dict[str, Drug],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(5):
        book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, at(date(2026, 7, 1)), batch_no=f"B{n}")
    record = PurchaseImport.objects.create(
        pharmacy=pharmacy, original_name="a.csv", file_format="csv", sha256="x"
    )
    ours = key_for(pharmacy, manager)
    theirs = key_for(outsider_pharmacy, outsider_pharmacy_manager)
    with django_assert_max_num_queries(8):
        mine = client.get("/api/v1/stock-batches/", **ours)  # type: ignore[arg-type]
    assert mine.json()["count"] == 5
    assert client.get("/api/v1/stock-batches/", **theirs).json()["count"] == 0  # type: ignore[arg-type]
    assert client.get(f"/api/v1/purchase-imports/{record.pk}/", **theirs).status_code == 404  # type: ignore[arg-type]
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/stocktakes/", **theirs).json()["count"] == 0  # type: ignore[arg-type]
