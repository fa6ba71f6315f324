"""The bureau's application worklist (issue 16.2): search, status/programme filters, the due-date
sort with days-left badges, pagination and an Excel export of what is filtered, scoped like
the page (core.lists)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from accreditation.models import Application, ApplicationStatus
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.accreditation import gy, hy, manager_of, pharmacy, reviewer
from tests.factories.sessions import force_login_verified

pytestmark = pytest.mark.django_db
URL = reverse("accreditation:review")
TODAY = date(2026, 3, 2)


def client_of(user: User) -> Client:
    return force_login_verified(Client(), user)


def sheet_names(response: Any) -> list[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def application(
    shop: Pharmacy,
    status: str = ApplicationStatus.ACCEPTED,
    *,
    due_in: int = 20,
    programme: Programme | None = None,
) -> Application:
    return Application.objects.create(
        pharmacy=shop,
        programme=programme or hy(),
        status=status,
        created_by=manager_of(shop),
        submitted_at=timezone.now(),
        accepted_on=TODAY,
        evaluation_due_on=TODAY + timedelta(days=due_in),
    )


@time_machine.travel(TODAY)
def test_search_by_name_or_credit_code_and_filter_by_status() -> None:
    kangmin, yiyuan = pharmacy("衡阳县康民大药房"), pharmacy("衡阳县益元堂药店")
    application(kangmin)
    application(yiyuan, ApplicationStatus.SUBMITTED)
    c = client_of(reviewer())
    page = c.get(URL, {"q": "康民"}).content.decode()
    assert "衡阳县康民大药房" in page and "衡阳县益元堂药店" not in page
    page = c.get(URL, {"q": yiyuan.credit_code}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" not in page
    page = c.get(URL, {"status": ApplicationStatus.SUBMITTED}).content.decode()
    assert "衡阳县益元堂药店" in page and "衡阳县康民大药房" not in page
    page = c.get(URL, {"q": "不存在的药店"}).content.decode()
    assert "没有符合条件的记录" in page


@time_machine.travel(TODAY)
def test_signed_applications_leave_the_worklist_unless_asked_for() -> None:
    application(pharmacy("衡阳县已签药房"), ApplicationStatus.SIGNED)
    c = client_of(reviewer())
    assert "衡阳县已签药房" not in c.get(URL).content.decode()
    assert "衡阳县已签药房" in c.get(URL, {"status": "signed"}).content.decode()


@time_machine.travel(TODAY)
def test_due_date_sort_badges_and_export_of_what_is_filtered() -> None:
    application(pharmacy("衡阳县丙药房"), due_in=40)
    application(pharmacy("衡阳县甲药房"), due_in=-3)
    application(pharmacy("衡阳县乙药房"), due_in=5)
    application(pharmacy("衡阳县待受理药房"), ApplicationStatus.SUBMITTED)
    c = client_of(reviewer())
    page = c.get(URL, {"status": "accepted"}).content.decode()
    assert 'data-testid="overdue"' in page and "已逾期 3 天" in page and "剩 5 天" in page
    assert page.index("衡阳县甲药房") < page.index("衡阳县乙药房") < page.index("衡阳县丙药房")
    response = c.get(URL, {"status": "accepted", "sort": "-due", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet_names(response) == ["衡阳县丙药房", "衡阳县乙药房", "衡阳县甲药房"]


@time_machine.travel(TODAY)
def test_outsiders_see_and_export_nothing_of_ours(
    outsider_pharmacy_manager: User, outsider_bureau_admin: User
) -> None:
    application(pharmacy("衡阳县康民大药房"))
    application(pharmacy("贵阳市康民药房", region_code="520100"), programme=gy())
    c = client_of(outsider_bureau_admin)
    assert "衡阳县康民大药房" not in c.get(URL).content.decode()
    assert sheet_names(c.get(URL, {"export": "xlsx"})) == ["贵阳市康民药房"]
    assert client_of(outsider_pharmacy_manager).get(URL).status_code in (403, 404)
    assert "贵阳市康民药房" not in client_of(reviewer()).get(URL).content.decode()


@time_machine.travel(TODAY)
def test_query_count_does_not_grow_with_rows() -> None:
    c = client_of(reviewer())
    application(pharmacy())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        application(pharmacy())
    assert count() == few
