"""The pharmacy's own applications (issue 16.2): search, filters, sort and an Excel export of
what is filtered, scoped to the pharmacy (core.lists)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from accreditation.models import Application, ApplicationStatus
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.accreditation import gy, hy, manager_of, pharmacy
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db
URL = reverse("accreditation:applications")


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [row[:2] for row in sheet.iter_rows(min_row=2, values_only=True)]


def application(shop: Pharmacy, programme: Programme, status: str) -> Application:
    return Application.objects.create(
        pharmacy=shop, programme=programme, status=status, created_by=manager_of(shop)
    )


def test_search_filter_and_export_of_the_pharmacys_own_applications() -> None:
    shop = pharmacy("衡阳县康民大药房")
    application(shop, hy(), ApplicationStatus.SUBMITTED)
    application(shop, gy(), ApplicationStatus.DRAFT)
    c = client_of(manager_of(shop))
    page = c.get(URL, {"q": "HY-TM"}).content.decode()
    assert 'id="applications"' in page and hy().name in page and gy().name not in page
    page = c.get(URL, {"status": "draft"}).content.decode()
    assert hy().name not in page.split('id="applications"')[1].split("</table>")[0]
    response = c.get(URL, {"programme": "HY-TM", "export": "xlsx"})
    assert sheet_rows(response) == [(hy().name, ApplicationStatus.SUBMITTED.label)]
    response = c.get(URL, {"sort": "programme", "export": "xlsx"})
    assert [name for name, _status in sheet_rows(response)] == sorted([hy().name, gy().name])


def test_another_pharmacy_sees_and_exports_nothing_of_ours(
    outsider_pharmacy_manager: User,
) -> None:
    application(pharmacy("衡阳县康民大药房"), hy(), ApplicationStatus.SUBMITTED)
    other = pharmacy("衡阳县益元堂药店")
    c = client_of(manager_of(other))
    assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []
    assert "尚无申请" in c.get(URL).content.decode()
    # A manager of an organisation without a pharmacy record gets 404, page and export.
    c = client_of(outsider_pharmacy_manager)
    assert c.get(URL, {"export": "xlsx"}).status_code == 404


def test_query_count_does_not_grow_with_rows() -> None:
    shop = pharmacy()
    c = client_of(manager_of(shop))
    application(shop, hy(), ApplicationStatus.SUBMITTED)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        application(shop, gy(), ApplicationStatus.DRAFT)
    assert count() == few
