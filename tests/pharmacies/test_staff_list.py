"""The pharmacy's staff list (issue 16.2): search by name, by a resident ID's full value through
its blind index (POSTed, audited, never shown in full), filters, sort and an Excel export of
what is filtered, scoped to the pharmacy (core.lists)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from core.models import AuditAction, AuditEvent
from pharmacies.models import StaffPost
from tests.factories.accreditation import manager_of, pharmacy
from tests.factories.pharmacies import StaffMemberFactory, resident_id
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db
URL = reverse("pharmacies:staff")


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)


def names(response: Any) -> list[str]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_search_by_name_filter_by_post_and_export() -> None:
    shop = pharmacy("衡阳县康民大药房")
    c = client_of(manager_of(shop))
    page = c.get(URL, {"q": "药师"}).content.decode()
    assert "药师0" in page and "员工0" not in page
    assert names(c.get(URL, {"post": StaffPost.PHARMACIST, "sort": "-name", "export": "xlsx"})) == [
        "药师1",
        "药师0",
    ]
    assert names(c.get(URL, {"pharmacist": "0", "export": "xlsx"})) == ["员工0", "员工1", "员工2"]


def test_resident_id_is_found_by_its_full_value_only_and_the_search_is_audited() -> None:
    shop = pharmacy()
    wanted = StaffMemberFactory.create(
        pharmacy=shop, name="张三", post=StaffPost.BILLER, resident_id=resident_id(9901)
    )
    c = client_of(manager_of(shop))
    page = c.post(URL, {"blind_q": wanted.resident_id}).content.decode()
    table = page.split('id="staff"')[1].split("</table>")[0]
    assert "张三" in table and "员工0" not in table
    assert wanted.resident_id not in table and wanted.masked_resident_id in table
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_SEARCH).count() == 1
    # A part of the number finds nothing, in the text search or the blind one.
    assert "张三" not in c.get(URL, {"q": wanted.resident_id[:10]}).content.decode()
    assert "张三" not in c.post(URL, {"blind_q": wanted.resident_id[:10]}).content.decode()
    # The search does not add a staff member.
    assert shop.staff.count() == 6


def test_another_pharmacy_sees_and_exports_nothing_of_ours(
    outsider_pharmacy_manager: User,
) -> None:
    ours = pharmacy()
    StaffMemberFactory.create(pharmacy=ours, name="张三", resident_id=resident_id(9902))
    other = pharmacy()
    c = client_of(manager_of(other))
    assert "张三" not in c.get(URL).content.decode()
    assert "张三" not in names(c.get(URL, {"export": "xlsx"}))
    assert "张三" not in c.post(URL, {"blind_q": resident_id(9902)}).content.decode()
    # A pharmacy manager whose organisation has no pharmacy record: 404.
    assert client_of(outsider_pharmacy_manager).get(URL).status_code == 404


def test_query_count_does_not_grow_with_rows() -> None:
    shop = pharmacy()
    c = client_of(manager_of(shop))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        StaffMemberFactory.create(
            pharmacy=shop, name=f"加员{n}", resident_id=resident_id(9910 + n),
            hired_on=date(2025, 1, 1),
        )  # fmt: skip
    assert count() == few
