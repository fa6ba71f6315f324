"""The designations list: search, filters, sort, pagination and an Excel export of what is
filtered, scoped like the page (core.lists)."""

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
from accreditation.models import DesignationStatus
from tests.factories.accreditation import designation, gy, manager_of, pharmacy, reviewer
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db
URL = reverse("accreditation:designations")


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)


def sheet_names(response: Any) -> list[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_search_by_name_or_credit_code_and_filter_by_status() -> None:
    kangmin, yiyuan = pharmacy("衡阳县康民大药房"), pharmacy("衡阳县益元堂药店")
    designation(kangmin)
    designation(yiyuan, DesignationStatus.SUSPENDED)
    c = client_of(reviewer())

    page = c.get(URL, {"q": "康民"}).content.decode()
    assert "衡阳县康民大药房" in page and "衡阳县益元堂药店" not in page
    page = c.get(URL, {"q": yiyuan.credit_code}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" not in page
    page = c.get(URL, {"status": DesignationStatus.SUSPENDED}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" not in page
    # A value outside the choices filters nothing (and is not echoed as chosen).
    page = c.get(URL, {"status": "nonsense"}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" in page
    page = c.get(URL, {"q": "不存在的药店"}).content.decode()
    assert "没有符合条件的记录" in page


def test_export_is_what_is_filtered_sorted_like_the_page() -> None:
    for name in ("衡阳县丙药房", "衡阳县甲药房", "衡阳县乙药房"):
        designation(pharmacy(name))
    designation(pharmacy("衡阳县停业药房"), DesignationStatus.REVOKED)
    c = client_of(reviewer())
    response = c.get(URL, {"status": "active", "sort": "-pharmacy", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    names = sheet_names(response)
    assert names == sorted(["衡阳县丙药房", "衡阳县甲药房", "衡阳县乙药房"], reverse=True)


def test_outsiders_see_and_export_nothing_of_ours(
    outsider_pharmacy_manager: User, outsider_bureau_admin: User
) -> None:
    ours = pharmacy("衡阳县康民大药房")
    designation(ours)
    other = pharmacy("衡阳县益元堂药店")
    designation(other)
    for user in (outsider_pharmacy_manager, outsider_bureau_admin):
        c = client_of(user)
        assert "衡阳县康民大药房" not in c.get(URL).content.decode()
        assert sheet_names(c.get(URL, {"export": "xlsx"})) == []
    # A pharmacy sees its own designation only, in the page and the export.
    c = client_of(manager_of(other))
    assert sheet_names(c.get(URL, {"export": "xlsx"})) == ["衡阳县益元堂药店"]


def test_guiyang_designations_are_not_hengyang_reviewers() -> None:
    shop = pharmacy("贵阳市筑康大药房", region_code="520100")
    designation(shop, programme=gy())
    assert "贵阳市筑康大药房" not in client_of(reviewer()).get(URL).content.decode()


def test_query_count_does_not_grow_with_rows() -> None:
    c = client_of(reviewer())
    designation(pharmacy())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        designation(pharmacy())
    assert count() == few
