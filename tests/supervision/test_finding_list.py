"""The findings list (issue 16.2): search, filters, sort, pagination and an Excel export of
what is filtered, scoped to the bureau's region like the page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role, User
from tests.factories.accounts import member
from tests.factories.accreditation import pharmacy
from tests.factories.dashboards import client_of, finding

pytestmark = pytest.mark.django_db
URL = reverse("supervision:findings")


def organisations(response: Any) -> list[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    column = header.index("机构")
    return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_search_filter_and_export_what_is_filtered() -> None:
    kangmin, yiyuan = pharmacy("衡阳县康民大药房"), pharmacy("衡阳县益元堂药店")
    finding(kangmin, "SV-F01")
    finding(yiyuan, "SV-F03")
    finding(yiyuan, "SV-F05", status="closed")
    c = client_of(member(Role.BUREAU_REVIEWER))
    page = c.get(URL, {"q": "康民"}).content.decode()
    assert "衡阳县康民大药房" in page and "衡阳县益元堂药店" not in page
    page = c.get(URL, {"rule": "SV-F03"}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" not in page
    opened = organisations(c.get(URL, {"status": "open", "export": "xlsx"}))
    assert sorted(opened) == ["衡阳县康民大药房", "衡阳县益元堂药店"]
    assert organisations(c.get(URL, {"status": "closed", "export": "xlsx"})) == ["衡阳县益元堂药店"]


def test_another_region_sees_and_exports_none_of_ours(outsider_bureau_admin: User) -> None:
    finding(pharmacy("衡阳县康民大药房"), "SV-F01")
    c = client_of(outsider_bureau_admin)
    assert "衡阳县康民大药房" not in c.get(URL).content.decode()
    assert organisations(c.get(URL, {"export": "xlsx"})) == []


def test_a_pharmacy_cannot_open_the_list() -> None:
    shop = pharmacy("衡阳县康民大药房")
    finding(shop, "SV-F01")
    manager = member(Role.PHARMACY_MANAGER, organisation=shop.organisation)
    assert client_of(manager).get(URL).status_code in (403, 404)


def test_query_count_does_not_grow_with_rows() -> None:
    c = client_of(member(Role.BUREAU_REVIEWER))
    finding(pharmacy(), "SV-F01")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for rule in ("SV-F01", "SV-F03", "SV-F05", "SV-F01", "SV-F14"):
        finding(pharmacy(), rule)
    assert count() == few
