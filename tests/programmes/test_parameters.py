"""Programme parameters: seeded defaults, validation, history, validity window (HY-H01)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role, User
from core.errors import RuleViolation
from programmes.models import Programme
from programmes.selectors import version_in_force
from programmes.services import programme_assert_in_force, programme_update_parameters
from tests.conftest import force_login_verified, login

pytestmark = pytest.mark.django_db


def test_hengyang_programme_is_seeded_with_the_policy_numbers() -> None:
    hy = Programme.objects.get(code="HY-TM")
    assert (hy.valid_from, hy.valid_until) == (date(2024, 10, 1), date(2029, 10, 1))
    assert hy.evaluation_months == 3  # HY-C02
    assert (hy.notice_working_days, hy.feedback_working_days) == (5, 5)  # HY-C03, HY-C04
    assert hy.min_licensed_pharmacists == 2  # HY-A05
    assert hy.basic_drug_coverage_pct == Decimal("90")  # HY-A09
    assert hy.therapeutic_share_pct == Decimal("95")  # HY-E04
    assert (hy.price_cap_basis, hy.price_discount_pct) == ("hospital_listed", Decimal("5"))
    assert hy.video_retention_days == 730  # HY-E05
    assert hy.record_retention_years == 2  # HY-E03
    assert (hy.normal_prescription_days, hy.long_term_prescription_days) == (30, 90)  # HY-E02
    assert hy.filing_months == [4, 10]  # HY-G04
    assert len(hy.immediate_filing_diseases) == 5
    assert (hy.reapplication_ban_years, hy.termination_ban_years) == (1, 5)  # HY-C05, HY-E10
    assert hy.stocktake_period == "quarter"  # HY-E06
    assert (hy.transition_end_month, hy.transition_end_day) == (12, 31)  # HY-C06


def test_guiyang_programme_is_seeded_with_its_own_numbers() -> None:
    gy = Programme.objects.get(code="GY-PT")
    assert gy.min_licensed_pharmacists == 1 and gy.pharmacist_registered_here  # GY-A04
    assert gy.min_lease_months == 12  # GY-A02
    assert gy.video_retention_days == 183  # GY-A03
    assert gy.price_cap_basis == "platform_listed"  # GY-C01
    assert gy.record_retention_years == 2  # GY-A08
    assert gy.valid_until is None and gy.filing_months == []


def test_hy_h01_programme_accepts_nothing_outside_its_validity_dates() -> None:
    hy = Programme.objects.get(code="HY-TM")
    programme_assert_in_force(programme=hy, on=date(2024, 10, 1), action="申报")
    programme_assert_in_force(programme=hy, on=date(2029, 9, 30), action="购药")
    with pytest.raises(RuleViolation) as before:
        programme_assert_in_force(programme=hy, on=date(2024, 9, 30), action="申请")
    assert before.value.rule_id == "HY-H01" and "2024-10-01" in str(before.value)
    with pytest.raises(RuleViolation) as after:
        programme_assert_in_force(programme=hy, on=date(2029, 10, 1), action="购药")
    assert after.value.rule_id == "HY-H01" and "不受理购药" in str(after.value)


def test_hy_h01_a_newer_higher_level_policy_ends_the_programme_early(
    personas: dict[str, User],
) -> None:
    hy = Programme.objects.get(code="HY-TM")
    programme_update_parameters(
        programme=hy,
        actor=personas[Role.BUREAU_ADMIN],
        changes={"valid_until": date(2027, 1, 1)},
        reason="上级新政策施行",
    )
    hy.refresh_from_db()
    programme_assert_in_force(programme=hy, on=date(2026, 12, 31), action="申请")
    with pytest.raises(RuleViolation, match="HY-H01"):
        programme_assert_in_force(programme=hy, on=date(2027, 1, 1), action="申请")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"basic_drug_coverage_pct": Decimal("120")}, "basic_drug_coverage_pct"),
        ({"min_licensed_pharmacists": 0}, "min_licensed_pharmacists"),
        ({"filing_months": [4, 13]}, "filing_months"),
        ({"filing_months": [4, 4]}, "filing_months"),
        ({"long_term_prescription_days": 20}, "long_term_prescription_days"),
        ({"valid_until": date(2020, 1, 1)}, "valid_until"),
        ({"transition_end_day": 31, "transition_end_month": 2}, "transition_end_day"),
        ({"immediate_filing_diseases": [""]}, "immediate_filing_diseases"),
    ],
)
def test_invalid_parameters_are_refused_and_change_nothing(
    changes: dict[str, object], field: str, personas: dict[str, User]
) -> None:
    hy = Programme.objects.get(code="HY-TM")
    before = hy.history.count()
    with pytest.raises(ValidationError) as error:
        programme_update_parameters(
            programme=hy, actor=personas[Role.BUREAU_ADMIN], changes=changes, reason="测试"
        )
    assert field in error.value.message_dict
    hy.refresh_from_db()
    assert hy.basic_drug_coverage_pct == Decimal("90") and hy.filing_months == [4, 10]
    assert hy.history.count() == before


def test_bureau_admin_edits_parameters_in_the_ui_and_history_keeps_who_and_why(
    personas: dict[str, User],
) -> None:
    admin = personas[Role.BUREAU_ADMIN]
    client = login(Client(), admin)
    form = client.get("/programmes/HY-TM/edit/")
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(
        {
            "filing_months": "4, 10",
            "immediate_filing_diseases": "\n".join(data["immediate_filing_diseases"]),
            "valid_from": "2024-10-01",
            "valid_until": "2029-10-01",
            "notice_working_days": "7",
            "reason": "县局党组会议决定",
        }
    )
    data.pop("pharmacist_registered_here", None)
    response = client.post("/programmes/HY-TM/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Programme.objects.get(code="HY-TM").notice_working_days == 7
    history = client.get("/programmes/HY-TM/history/").content.decode()
    assert "公示期（工作日）：5 → 7" in history
    assert admin.username in history or admin.full_name in history
    assert "县局党组会议决定" in history


def test_invalid_form_input_names_the_field(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    initial = client.get("/programmes/HY-TM/edit/").context["form"].initial
    data = {k: v for k, v in initial.items() if v is not None}
    data.update(
        {
            "filing_months": "四月",
            "immediate_filing_diseases": "肺结核",
            "valid_from": "2024-10-01",
            "valid_until": "2029-10-01",
            "reason": "x",
        }
    )
    data.pop("pharmacist_registered_here", None)
    body = client.post("/programmes/HY-TM/edit/", data).content.decode()
    assert "申报月份：请输入以逗号分隔的月份数字" in body
    assert Programme.objects.get(code="HY-TM").filing_months == [4, 10]


def test_reviewer_reads_parameters_but_cannot_edit(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.BUREAU_REVIEWER])
    assert client.get("/programmes/HY-TM/").status_code == 200
    assert client.get("/programmes/HY-TM/edit/").status_code == 404


def test_outsider_bureau_gets_404_on_another_regions_programme(
    outsider_bureau_admin: User,
) -> None:
    client = login(Client(), outsider_bureau_admin)
    assert client.get("/programmes/HY-TM/").status_code == 404
    assert client.get("/programmes/HY-TM/edit/").status_code == 404
    assert client.get("/programmes/HY-TM/history/").status_code == 404
    assert "HY-TM" not in client.get("/programmes/").content.decode()
    assert client.get("/programmes/GY-PT/").status_code == 200
    api = force_login_verified(APIClient(), outsider_bureau_admin)
    assert api.get("/api/v1/programmes/HY-TM/").status_code == 404


def test_pharmacy_does_not_reach_the_parameter_pages(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.PHARMACY_MANAGER])
    assert client.get("/programmes/").status_code == 404


def test_programme_list_query_count(
    personas: dict[str, User], django_assert_max_num_queries: object
) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert client.get("/programmes/").status_code == 200


def test_api_lists_the_programmes_of_the_callers_region(personas: dict[str, User]) -> None:
    api = APIClient()
    api.force_login(personas[Role.PHARMACY_MANAGER])
    codes = [p["code"] for p in api.get("/api/v1/programmes/").json()["results"]]
    assert codes == ["HY-TM"]


def test_hy_g04_the_five_immediate_diseases_and_uraemia_are_seeded() -> None:
    from programmes.models import Disease, DiseaseCategory

    hy = Programme.objects.get(code="HY-TM")
    immediate = set(
        Disease.objects.filter(programme=hy, category=DiseaseCategory.IMMEDIATE).values_list(
            "name", flat=True
        )
    )
    assert immediate == set(hy.immediate_filing_diseases)
    assert Disease.objects.get(programme=hy, category=DiseaseCategory.URAEMIA).name == "尿毒症"
    version = version_in_force(programme=hy, on=date(2024, 10, 1))
    assert version is not None and version.number == 1
    standards = version.standards.all()
    assert len(standards) == Disease.objects.filter(programme=hy).count()
    assert all(s.amounts_are_demo for s in standards)
