"""The bureau's charts: SVG images served by the portal, each with a table of its numbers on
the page and an xlsx export of the same numbers; scoped to the region, 404 for non-bureau."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.models import Organisation, OrganisationKind, Role
from accreditation.models import DesignationStatus
from dashboards.charts import CHARTS
from prescriptions.models import Dispensing, DispensingStatus, QuotaAccount
from tests.factories.accounts import member, region
from tests.factories.accreditation import designation
from tests.factories.dashboards import client_of, finding
from tests.factories.prescriptions import World, world

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return [list(r) for r in rows]


def sale(w: World, fund: str, *, status: str = DispensingStatus.SETTLED, day: int = 12) -> None:
    prescription = w.prescription(issued_on=date(2027, 5, day))
    Dispensing.objects.create(
        number=f"D{Dispensing.objects.count() + 1:06d}",
        pharmacy=w.pharmacy,
        programme=w.hy,
        patient=w.patient,
        disease=w.enrolment.disease,
        enrolment=w.enrolment,
        prescription=prescription,
        pharmacist=w.pharmacist,
        status=status,
        dispensed_at=datetime(2027, 5, day, 10, tzinfo=SHANGHAI),
        total=Decimal(fund) * 2,
        fund_share=Decimal(fund),
        personal_share=Decimal(fund),
    )


@pytest.mark.parametrize("key", list(CHARTS))
def test_each_chart_is_an_svg_image_that_runs_no_script(key: str) -> None:
    response = client_of(member(Role.BUREAU_REVIEWER)).get(f"/dashboards/charts/{key}.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content and b"<script" not in response.content
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]


def test_the_bureau_page_shows_each_chart_with_a_table_and_an_export_link() -> None:
    page = client_of(member(Role.BUREAU_ADMIN)).get("/dashboards/").content.decode()

    for key in CHARTS:
        assert f'<img src="/dashboards/charts/{key}.svg" alt="' in page
        assert f'href="/dashboards/charts/{key}.xlsx"' in page
    assert page.count('<th scope="col">') >= 2 * len(CHARTS)


def test_fund_spend_by_month_disease_and_pharmacy_counts_settled_sales_only() -> None:
    w = world()
    with time_machine.travel("2027-05-12 10:00 +0800", tick=False):
        sale(w, "100.00")
        sale(w, "50.50", day=11)
        sale(w, "999.00", status=DispensingStatus.RETURNED, day=10)
    user = member(Role.BUREAU_REVIEWER)

    with time_machine.travel("2027-05-20 10:00 +0800", tick=False):
        reviewer = client_of(user)  # logged in that day: the session would expire otherwise
        page = reviewer.get("/dashboards/").content.decode()
        months = sheet(reviewer.get("/dashboards/charts/spend_month.xlsx"))
        diseases = sheet(reviewer.get("/dashboards/charts/spend_disease.xlsx"))
        pharmacies = sheet(reviewer.get("/dashboards/charts/spend_pharmacy.xlsx"))

    assert months[0][:2] == ["月份", "统筹基金支付（元）"]
    assert len(months) == 13 and months[-1] == ["2027-05", 150.5, 301, 2]
    assert diseases[1][1:] == [150.5, 2]
    assert pharmacies[1] == [w.pharmacy.organisation.name, 150.5, 2]
    assert '<th scope="row">2027-05</th><td class="num">150.50</td>' in page


def test_quota_use_of_the_current_period() -> None:
    w = world()
    QuotaAccount.objects.create(
        enrolment=w.enrolment,
        period_start=date(2027, 4, 1),
        period_end=date(2027, 6, 30),
        quota=Decimal("300.00"),
        used=Decimal("75.00"),
    )
    user = member(Role.BUREAU_REVIEWER)

    with time_machine.travel("2027-05-20 10:00 +0800", tick=False):
        rows = sheet(client_of(user).get("/dashboards/charts/quota.xlsx"))

    assert rows[1][1:] == [1, 300, 75, 25]


def test_designation_and_finding_exports_have_the_numbers_of_the_page(shop: Any) -> None:
    designation(shop, DesignationStatus.ACTIVE)
    designation(shop, DesignationStatus.SUSPENDED)
    finding(shop, "HY-E06")
    finding(shop, "HY-E06", status="closed")
    finding(shop, "HY-B02")
    admin = client_of(member(Role.BUREAU_ADMIN))

    designations = sheet(admin.get("/dashboards/charts/designations.xlsx"))
    findings = sheet(admin.get("/dashboards/charts/findings.xlsx"))
    page = admin.get("/dashboards/").content.decode()

    assert ["有效", 1] in designations and ["暂停", 1] in designations
    assert ["取消定点", 0] in designations
    assert findings[1:] == [
        ["HY-B02", "待处理", 1],
        ["HY-E06", "已办结", 1],
        ["HY-E06", "待处理", 1],
    ]
    assert '<th scope="row">暂停</th><td class="num">1</td>' in page


@pytest.mark.parametrize(
    "role", [Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.WINDOW_CLERK, Role.CATALOGUE_ADMIN]
)
def test_outsiders_to_the_bureau_get_404_for_charts_and_exports(role: str) -> None:
    client = client_of(member(role))

    assert client.get("/dashboards/charts/designations.svg").status_code == 404
    assert client.get("/dashboards/charts/designations.xlsx").status_code == 404
    page = client.get("/dashboards/").content.decode()
    assert "/dashboards/charts/" not in page


def test_an_unknown_chart_is_404() -> None:
    client = client_of(member(Role.BUREAU_ADMIN))
    assert client.get("/dashboards/charts/nothing.svg").status_code == 404
    assert client.get("/dashboards/charts/nothing.xlsx").status_code == 404


def test_another_regions_bureau_exports_none_of_our_numbers(shop: Any) -> None:
    designation(shop, DesignationStatus.ACTIVE)
    finding(shop, "HY-E06")
    guiyang = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    outsider = client_of(member(Role.BUREAU_ADMIN, organisation=guiyang))

    designations = sheet(outsider.get("/dashboards/charts/designations.xlsx"))
    findings = sheet(outsider.get("/dashboards/charts/findings.xlsx"))

    assert all(count == 0 for _status, count in designations[1:])
    assert findings == [["规则编号", "状态", "线索数"]]
