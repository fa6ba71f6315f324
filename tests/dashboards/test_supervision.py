"""The supervision dashboard (issue 17.5): findings by rule, month and pharmacy, open cases
and their age, the risk score from the programme's weights, money refused and recovered per
quarter; each chart's export has the numbers of its table; region-scoped; bureau only."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from accounts.models import Organisation, OrganisationKind, Role
from dashboards.supervision_charts import SUPERVISION_CHARTS
from pharmacies.models import Pharmacy
from programmes.models import Programme
from programmes.services import programme_update_parameters
from tests.factories.accounts import member, region
from tests.factories.accreditation import pharmacy
from tests.factories.dashboards import case, client_of, finding, recovery, refusal

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = "2027-05-20 10:00 +0800"


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return [list(r) for r in rows]


def export(client: Client, key: str) -> list[list[Any]]:
    return sheet(client.get(f"/dashboards/charts/{key}.xlsx"))


def bureau(role: str = Role.BUREAU_REVIEWER) -> Client:
    return client_of(member(role))


@pytest.mark.parametrize("key", list(SUPERVISION_CHARTS))
def test_each_supervision_chart_is_an_svg_that_runs_no_script(key: str) -> None:
    response = bureau().get(f"/dashboards/charts/{key}.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content and b"<script" not in response.content


def test_the_page_shows_each_chart_with_its_table_export_and_the_risk_weights() -> None:
    page = bureau(Role.BUREAU_ADMIN).get("/dashboards/supervision/").content.decode()

    for key in SUPERVISION_CHARTS:
        assert f'<img src="/dashboards/charts/{key}.svg" alt="' in page
        assert f'href="/dashboards/charts/{key}.xlsx"' in page
    assert "风险分值 = 各优先级未办结线索" in page
    assert "一般 × 1；重点核查 × 3" in page  # the programme's weights (migration 0014)


def test_the_bureau_menu_and_the_dashboard_link_to_the_page() -> None:
    client = bureau()
    assert 'href="/dashboards/supervision/"' in client.get("/dashboards/").content.decode()
    assert 'href="/dashboards/supervision/"' in client.get("/", follow=True).content.decode()


def test_findings_by_month_and_rule_and_by_pharmacy(shop: Pharmacy) -> None:
    other = pharmacy("衡阳县仁济药房")
    finding(shop, "SV-F01", raised_at=at(2027, 5, 1, 0))  # local midnight: May
    finding(shop, "SV-F01", raised_at=at(2027, 5, 3))
    finding(shop, "SV-F02", "closed", raised_at=at(2027, 4, 30, 23))  # April in Shanghai
    finding(other, "SV-F01", "in_review", raised_at=at(2027, 4, 2))
    finding(other, "SV-F03", raised_at=at(2026, 5, 31))  # before the 12 months

    with time_machine.travel(TODAY, tick=False):
        client = bureau()
        months = export(client, "sv_findings_month")
        shops = export(client, "sv_findings_pharmacy")

    assert months == [
        ["月份", "规则编号", "线索数"],
        ["2027-04", "SV-F01", 1],
        ["2027-04", "SV-F02", 1],
        ["2027-05", "SV-F01", 2],
    ]
    assert shops[0] == ["药店", "线索数", "待处理", "核查中", "已办结", "涉及规则数"]
    assert shops[1:] == [
        [shop.organisation.name, 3, 2, 0, 1, 2],
        [other.organisation.name, 2, 1, 1, 0, 2],
    ]


def test_open_cases_and_their_age_in_days(shop: Pharmacy) -> None:
    old = case(shop, at(2027, 1, 10))
    recent = case(shop, at(2027, 5, 19, 23), status="scheduled")
    case(shop, at(2027, 2, 1), status="concluded")
    case(shop, at(2027, 2, 1), status="cancelled")

    with time_machine.travel(TODAY, tick=False):
        client = bureau()
        rows = export(client, "sv_cases_age")
        page = client.get("/dashboards/supervision/").content.decode()

    assert rows == [
        ["案件编号", "药店", "状态", "立案日期", "计划检查日期", "已立案天数"],
        [old.number, shop.organisation.name, "已立案", "2027-01-10", None, 130],
        [recent.number, shop.organisation.name, "已安排检查", "2027-05-19", None, 1],
    ]
    assert f'<th scope="row">{old.number}</th>' in page


def test_risk_score_orders_pharmacies_by_the_programmes_weights(shop: Pharmacy) -> None:
    other = pharmacy("衡阳县仁济药房")
    for _ in range(3):
        finding(shop, "SV-F01")  # 3 normal
    finding(shop, "SV-F01", "closed", priority="priority_inspection")  # closed: not counted
    finding(other, "SV-F02", priority="priority_inspection")  # 1 priority
    finding(other, "SV-F02", "in_review")  # 1 normal, still open
    client = bureau(Role.BUREAU_ADMIN)

    # Weights 1 and 3: 3×1 = 3 against 1×1 + 1×3 = 4.
    assert export(client, "sv_risk")[1:] == [
        [other.organisation.name, 1, 1, 4],
        [shop.organisation.name, 3, 0, 3],
    ]

    hy = Programme.objects.get(code="HY-TM")
    programme_update_parameters(
        programme=hy,
        changes={"risk_weight_normal": 2, "risk_weight_priority_inspection": 1},
        reason="调整风险权重",
        actor=member(Role.BUREAU_ADMIN),
    )
    rows = export(client, "sv_risk")

    assert rows[0] == ["药店", "一般（未办结）", "重点核查（未办结）", "风险分值"]
    assert rows[1:] == [[shop.organisation.name, 3, 0, 6], [other.organisation.name, 1, 1, 3]]
    assert hy.history.filter(history_change_reason="调整风险权重").exists()


def test_money_refused_and_recovered_per_quarter_to_the_fen(shop: Pharmacy) -> None:
    refusal(shop, "100.01", at(2027, 4, 1, 0))  # local: 2027 Q2
    refusal(shop, "0.02", at(2027, 3, 31, 23))  # 2027 Q1
    refusal(shop, "50.00", at(2027, 5, 2), decision="suspend")  # not a refusal
    refusal(shop, "7.00", at(2025, 3, 2))  # before the 8 quarters
    recovery(shop, "12.34", date(2027, 6, 30))
    recovery(shop, "0.66", date(2027, 4, 1))
    recovery(shop, "1.00", date(2026, 12, 31))

    with time_machine.travel(TODAY, tick=False):
        client = bureau()
        rows = export(client, "sv_money")
        page = client.get("/dashboards/supervision/").content.decode()

    assert rows[0] == ["季度", "拒付金额（元）", "拒付决定数", "追回金额（元）", "追回笔数"]
    assert [r[0] for r in rows[1:]] == [
        "2025Q3",
        "2025Q4",
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
        "2027Q1",
        "2027Q2",
    ]
    assert rows[-3] == ["2026Q4", 0, 0, 1, 1]
    assert rows[-2] == ["2027Q1", 0.02, 1, 0, 0]
    assert rows[-1] == ["2027Q2", 100.01, 1, 13, 2]
    assert '<th scope="row">2027Q2</th><td class="num">100.01</td><td class="num">1</td>' in page
    assert '<td class="num">13.00</td>' in page


@pytest.mark.parametrize(
    "role", [Role.PHARMACY_MANAGER, Role.PHARMACIST, Role.PHYSICIAN, Role.WINDOW_CLERK]
)
def test_outsiders_to_the_bureau_get_404(role: str) -> None:
    client = client_of(member(role))

    assert client.get("/dashboards/supervision/").status_code == 404
    for key in SUPERVISION_CHARTS:
        assert client.get(f"/dashboards/charts/{key}.svg").status_code == 404
        assert client.get(f"/dashboards/charts/{key}.xlsx").status_code == 404


def test_another_regions_bureau_sees_none_of_ours(shop: Pharmacy) -> None:
    finding(shop, "SV-F01", raised_at=at(2027, 5, 3))
    case(shop, at(2027, 5, 1))
    refusal(shop, "100.00", at(2027, 5, 2))
    recovery(shop, "10.00", date(2027, 5, 2))
    guiyang = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )

    with time_machine.travel(TODAY, tick=False):
        outsider = client_of(member(Role.BUREAU_ADMIN, organisation=guiyang))
        tables = {key: export(outsider, key) for key in SUPERVISION_CHARTS}
        page = outsider.get("/dashboards/supervision/").content.decode()

    for key in ("sv_findings_month", "sv_findings_pharmacy", "sv_cases_age", "sv_risk"):
        assert len(tables[key]) == 1, key  # headers only
    assert all(r[1:] == [0, 0, 0, 0] for r in tables["sv_money"][1:])
    assert shop.organisation.name not in page
