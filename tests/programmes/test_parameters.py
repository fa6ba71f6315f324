"""Programme parameters: seeded defaults, validation, history, validity window (HY-H01)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role, User
from core.errors import DomainError, RuleViolation
from programmes.models import Programme
from programmes.selectors import version_in_force
from programmes.services import programme_assert_in_force, programme_update_parameters
from tests.factories.sessions import force_login_verified, login

pytestmark = pytest.mark.django_db


def test_hy_h01_validity_is_2024_10_01_through_2029_10_01_by_default() -> None:
    """Seed HY 第四章：本办法自2024年10月1日起实施，有效期至2029年10月1日。"""
    p = Programme.objects.get(code="HY-TM")
    assert (p.valid_from, p.valid_until) == (date(2024, 10, 1), date(2029, 10, 1))
    assert p.superseded_from is None


def test_hy_a01_no_major_violation_in_the_past_3_years_by_default() -> None:
    """Seed HY 一（一）：近3年基本医疗保险无重大违规违约行为。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.violation_lookback_years == 3


def test_hy_a02_new_pharmacy_open_at_least_3_months_by_default() -> None:
    """Seed HY 一（一）：新增定点的零售药店正式经营至少3个月。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.min_months_open == 3


def test_hy_a05_at_least_2_licensed_pharmacists_by_default() -> None:
    """Seed HY 一（三）：至少配备2名以上（含2名）执业药师。"""
    p = Programme.objects.get(code="HY-TM")
    assert (p.min_licensed_pharmacists, p.pharmacist_registered_here) == (2, False)


def test_hy_a09_basic_drugs_90_percent_by_default() -> None:
    """Seed HY 一（五）：配备特门病种90%以上的基本药物。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.basic_drug_coverage_pct == Decimal("90")


def test_hy_b01_approval_numbers_only_by_default() -> None:
    """Seed HY 二（一）：特门场所专营“准字号”药品。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.approval_number_only is True


def test_hy_b02_hospital_listed_price_less_5_percent_by_default() -> None:
    """Seed HY 二（二）：不高于公立医院挂网采购价，同时予以适当优惠（下浮5%以上）。"""
    p = Programme.objects.get(code="HY-TM")
    assert (p.price_cap_basis, p.price_discount_pct) == ("hospital_listed", Decimal("5"))


def test_hy_c02_evaluation_within_3_months_by_default() -> None:
    """Seed HY 三 二是：自受理申请材料之日起在3个月内完成评估工作。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.evaluation_months == 3


def test_hy_c03_notice_5_working_days_by_default() -> None:
    """Seed HY 三 三是：公示期为5个工作日。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.notice_working_days == 5


def test_hy_c04_feedback_within_5_working_days_by_default() -> None:
    """Seed HY 三 三是：评估不合格的，在5个工作日内将评估结果反馈给申请人。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.feedback_working_days == 5


def test_hy_c05_no_new_application_for_1_year_by_default() -> None:
    """Seed HY 三 三是：取消定点，并在一年内不得再次申请定点。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.reapplication_ban_years == 1


def test_hy_c06_transition_ends_31_december_by_default() -> None:
    """Seed HY 三 三是：过渡期最长至当年的12月31日。"""
    p = Programme.objects.get(code="HY-TM")
    assert (p.transition_end_month, p.transition_end_day) == (12, 31)


def test_hy_e01_payroll_of_the_last_3_months_by_default() -> None:
    """Seed HY 第一章 五（一）：提供职工入职后近3个月的工资发放银行流水。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.payroll_evidence_months == 3


def test_hy_e02_one_month_normal_3_months_long_term_by_default() -> None:
    """Seed HY 五（二）：处方原则上一月开一次……长期处方不得超过3个月。"""
    p = Programme.objects.get(code="HY-TM")
    assert (p.normal_prescription_days, p.long_term_prescription_days) == (30, 90)


def test_hy_e03_records_kept_2_years_by_default() -> None:
    """Seed HY 五（二）：外配处方、购药清单等保存2年。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.record_retention_years == 2


def test_hy_e04_therapeutic_drugs_95_percent_by_default() -> None:
    """Seed HY 五（三）：治疗性药物占95%以上。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.therapeutic_share_pct == Decimal("95")


def test_hy_e05_video_kept_two_years_by_default() -> None:
    """Seed HY 五（四）：摄像视频保留在两年之内（730 天）。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.video_retention_days == 730


def test_hy_e06_stocktake_once_a_quarter_by_default() -> None:
    """Seed HY 五（五）：原则上一个季度盘底一次。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.stocktake_period == "quarter"


def test_hy_e09_agreement_signed_yearly_by_default() -> None:
    """Seed HY 五（七）：原则上每年签订一次。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.agreement_term_years == 1


def test_hy_e10_terminated_no_renewal_for_5_years_by_default() -> None:
    """Seed HY 五（八）：情节严重的，按照约定解除服务协议，五年之内不再续签。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.termination_ban_years == 5


def test_hy_g04_filing_in_april_and_october_by_default() -> None:
    """Seed HY 第三章 四：原则上一年两次，分别为4月和10月递交申报资料。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.filing_months == [4, 10]


def test_hy_g07_quota_per_quarter_by_default() -> None:
    """Seed HY 第三章 六：按月（季）购药，一个季度内，可分次或累计购药，季度间额度不累加不滚存。"""
    p = Programme.objects.get(code="HY-TM")
    assert p.quota_period == "quarter"


def test_gy_a02_lease_of_at_least_1_year_by_default() -> None:
    """Seed GY 一（二）：经营场所如为租赁，应提供不少于1年的有效租赁合同。"""
    p = Programme.objects.get(code="GY-PT")
    assert p.min_lease_months == 12


def test_gy_a03_video_kept_6_months_by_default() -> None:
    """Seed GY 一（三）：相关视频资料至少保存6个月（183 天）。"""
    p = Programme.objects.get(code="GY-PT")
    assert p.video_retention_days == 183


def test_gy_a04_one_licensed_pharmacist_registered_here_by_default() -> None:
    """Seed GY 一（四）：至少应配备1名执业药师，且注册地在该定点零售药店。"""
    p = Programme.objects.get(code="GY-PT")
    assert (p.min_licensed_pharmacists, p.pharmacist_registered_here) == (1, True)


def test_gy_a05_catalogue_drugs_fully_stocked_by_default() -> None:
    """Seed GY 一（五）：足额配备医保目录内药品。"""
    p = Programme.objects.get(code="GY-PT")
    assert p.catalogue_stocked_pct == Decimal("100")


def test_gy_a08_records_kept_2_years_by_default() -> None:
    """Seed GY 一（八）：外配处方、购药清单等保存２年。"""
    p = Programme.objects.get(code="GY-PT")
    assert p.record_retention_years == 2


def test_gy_c01_platform_listed_price_no_discount_by_default() -> None:
    """Seed GY 二：销售价格不得高于集采平台挂网价。"""
    p = Programme.objects.get(code="GY-PT")
    assert (p.price_cap_basis, p.price_discount_pct) == ("platform_listed", Decimal("0"))


def test_gy_d01_employees_only_by_default() -> None:
    """Seed GY 标题：职工基本医疗保险普通门诊保障。"""
    p = Programme.objects.get(code="GY-PT")
    assert p.outpatient_insured_types == ["employee"]


def test_hy_h01_gy_pt_names_no_dates_and_runs_until_a_new_rule_by_default() -> None:
    """Seed GY 五（三）：本通知自发布之日起执行，国家、省、市出台新的政策规定的，从其新规。"""
    p = Programme.objects.get(code="GY-PT")
    assert (p.valid_from, p.valid_until, p.superseded_from) == (None, None, None)


def test_hy_h01_a_newer_higher_level_policy_ends_the_programme_early(
    personas: dict[str, User],
) -> None:
    hy = Programme.objects.get(code="HY-TM")
    programme_update_parameters(
        programme=hy,
        actor=personas[Role.BUREAU_ADMIN],
        changes={"valid_until": date(2026, 12, 31)},
        reason="上级新政策施行",
    )
    hy.refresh_from_db()
    # "有效期至 2026-12-31": the last day still in force, the next day not.
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
    with pytest.raises(DomainError) as error:
        programme_update_parameters(
            programme=hy, actor=personas[Role.BUREAU_ADMIN], changes=changes, reason="测试"
        )
    assert field in error.value.errors
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
