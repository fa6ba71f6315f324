"""Reference data: the regions and the two programmes with the numbers their policies set.

Used by the data migration and, in tests, after transactional tests flush the tables."""

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps

from core.history import FROM_POLICY, source_text

REGIONS: list[tuple[str, str, str | None]] = [
    ("430400", "衡阳市", None),
    ("430421", "衡阳县", "430400"),
    ("520100", "贵阳市", None),
    ("520100-GA", "贵安新区", "520100"),
]

HY_IMMEDIATE = ["恶性肿瘤（含白血病）", "器官移植术后", "肺结核", "精神分裂症", "血友病"]

PROGRAMMES: list[dict[str, Any]] = [
    {
        "code": "HY-TM",
        "name": "衡阳县慢特病门诊（特门）服务管理",
        "short_name": "衡阳县特门",
        "source_document": "关于加强慢特病门诊管理的实施办法（征求意见稿）",
        "regions": ["430421"],
        "valid_from": date(2024, 10, 1),
        "valid_until": date(2029, 10, 1),
        "validity_rule_id": "HY-H01",
        "violation_lookback_years": 3,
        "min_months_open": 3,
        "min_licensed_pharmacists": 2,
        "pharmacist_registered_here": False,
        "pharmacist_filing_required": True,
        "min_lease_months": None,
        "video_retention_days": 730,
        "basic_drug_coverage_pct": Decimal("90"),
        "therapeutic_share_pct": Decimal("95"),
        "price_cap_basis": "hospital_listed",
        "price_discount_pct": Decimal("5"),
        "evaluation_months": 3,
        "notice_working_days": 5,
        "feedback_working_days": 5,
        "reapplication_ban_years": 1,
        "termination_ban_years": 5,
        "agreement_term_years": 1,
        "payroll_evidence_months": 3,
        "record_retention_years": 2,
        "transition_end_month": 12,
        "transition_end_day": 31,
        "normal_prescription_days": 30,
        "long_term_prescription_days": 90,
        "prescription_interval_months": 1,
        "quota_period": "quarter",
        # 特门 pays per disease (Disease.fund_share_pct); no general-outpatient cover.
        "outpatient_deductible": None,
        "outpatient_fund_share_pct": None,
        "outpatient_annual_cap": None,
        "outpatient_amounts_are_demo": False,
        "outpatient_insured_types": [],
        "filing_months": [4, 10],
        "immediate_filing_diseases": HY_IMMEDIATE,
        "stocktake_period": "quarter",
        # The seed sets no due date or tolerance: bureau-editable demo values.
        "stocktake_due_working_days": 10,
        "stocktake_reminder_working_days": 3,
        "stocktake_tolerance_units": 0,
        "stocktake_blind": False,
        "near_expiry_days": 90,
        "approval_number_only": True,
        "catalogue_stocked_pct": None,
        # Neither seed weighs findings: bureau-editable demo values (supervision dashboard).
        "risk_weight_normal": 1,
        "risk_weight_priority_inspection": 3,
    },
    {
        "code": "GY-PT",
        "name": "贵阳贵安定点零售药店职工基本医疗保险普通门诊保障",
        "short_name": "贵阳贵安职工普通门诊",
        "source_document": "贵阳贵安定点零售药店职工基本医疗保险普通门诊保障管理规程（暂行）",
        "regions": ["520100", "520100-GA"],
        # The seed takes effect "from the date of publication" and names no date or end.
        "valid_from": None,
        "valid_until": None,
        "validity_rule_id": "",
        "violation_lookback_years": None,
        "min_months_open": None,
        "min_licensed_pharmacists": 1,
        "pharmacist_registered_here": True,
        "pharmacist_filing_required": False,
        "min_lease_months": 12,
        "video_retention_days": 183,
        "basic_drug_coverage_pct": None,
        "therapeutic_share_pct": None,
        "price_cap_basis": "platform_listed",
        "price_discount_pct": Decimal("0"),
        "evaluation_months": None,
        "notice_working_days": None,
        "feedback_working_days": None,
        "reapplication_ban_years": None,
        "termination_ban_years": None,
        "agreement_term_years": None,
        "payroll_evidence_months": None,
        "record_retention_years": 2,
        "transition_end_month": None,
        "transition_end_day": None,
        "normal_prescription_days": None,
        "long_term_prescription_days": None,
        "prescription_interval_months": None,
        "quota_period": "",
        # GY-D03 says only that the patient pays the personal share and the fund the rest; the
        # deductible, ratio and yearly cap come from the city's payment policy, which is not
        # part of the seed: DEMO values, flagged, bureau-editable.
        "outpatient_deductible": Decimal("200"),
        "outpatient_fund_share_pct": Decimal("50"),
        "outpatient_annual_cap": Decimal("2000"),
        "outpatient_amounts_are_demo": True,
        # GY-D01 / the programme's scope: employee basic medical insurance (职工) only.
        "outpatient_insured_types": ["employee"],
        "filing_months": [],
        "immediate_filing_diseases": [],
        "stocktake_period": "",
        "stocktake_due_working_days": None,
        "stocktake_reminder_working_days": None,
        "stocktake_tolerance_units": None,
        "stocktake_blind": False,
        "near_expiry_days": 90,
        "approval_number_only": False,
        "catalogue_stocked_pct": Decimal("100"),
        "risk_weight_normal": 1,
        "risk_weight_priority_inspection": 3,
    },
]


# The source the HY-TM standards are taken from: HY 六 names the provincial list, which is not
# part of the seed, so the amounts are DEMO values (each row says so).
HY_STANDARDS_SOURCE = (
    "《湖南省基本医疗保险门诊慢性病种范围和医保支付标准》（衡阳县特门实施办法第六条所引；"
    "文件未随政策附上，金额为演示值）"
)
HY_STANDARDS_DATE = date(2024, 10, 1)

# HY-TM diseases: the five immediate ones of HY-G04, uraemia, and common 特门 diseases.
# (code, name, ICD-10, category, monthly standard yuan, fund share %) — amounts are DEMO values:
# the provincial payment-standard list is not part of the seed.
HY_DISEASES: list[tuple[str, str, list[str], str, str, str]] = [
    ("TM001", "恶性肿瘤（含白血病）", ["C00-C97"], "immediate", "1500", "80"),
    ("TM002", "器官移植术后", ["Z94"], "immediate", "2000", "80"),
    ("TM003", "肺结核", ["A15", "A16"], "immediate", "300", "80"),
    ("TM004", "精神分裂症", ["F20"], "immediate", "300", "80"),
    ("TM005", "血友病", ["D66", "D67"], "immediate", "2000", "80"),
    ("TM006", "尿毒症", ["N18.5"], "uraemia", "3000", "85"),
    ("TM101", "高血压（Ⅱ级及以上）", ["I10-I15"], "normal", "100", "70"),
    ("TM102", "糖尿病", ["E10-E14"], "normal", "150", "70"),
    ("TM103", "冠心病", ["I20-I25"], "normal", "150", "70"),
    ("TM104", "慢性阻塞性肺疾病", ["J44"], "normal", "150", "70"),
    ("TM105", "类风湿关节炎", ["M05", "M06"], "normal", "150", "70"),
    ("TM106", "帕金森病", ["G20"], "normal", "200", "70"),
]


def ensure(apps: Any = global_apps) -> None:
    """Create whatever of the reference data is missing (idempotent)."""
    Region = apps.get_model("accounts", "Region")
    Programme = apps.get_model("programmes", "Programme")
    HistoricalProgramme = apps.get_model("programmes", "HistoricalProgramme")
    by_code: dict[str | None, Any] = {}
    for code, name, parent in REGIONS:
        region, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "parent": by_code.get(parent)}
        )
        by_code[code] = region
    # Earlier migrations run this with historical models that lack later parameters
    # (0005_issue6_parameters sets those for existing rows).
    known = {f.name for f in Programme._meta.get_fields()}
    for spec in PROGRAMMES:
        spec = {k: v for k, v in spec.items() if k in known or k == "regions"}
        regions = spec.pop("regions")
        if Programme.objects.filter(code=spec["code"]).exists():
            continue
        programme = Programme.objects.create(**spec)
        programme.regions.set([by_code[c] for c in regions])
        fields = {f.attname: getattr(programme, f.attname) for f in Programme._meta.concrete_fields}
        fields.pop("updated_at", None)
        HistoricalProgramme.objects.create(
            **fields,
            history_date=programme.updated_at,
            history_type="+",
            history_change_reason=source_text(FROM_POLICY),
        )
    try:
        Disease = apps.get_model("programmes", "Disease")
    except LookupError:  # migration 0002 runs before the Disease model exists (0003)
        return
    hy = Programme.objects.get(code="HY-TM")
    amounts_on_disease = "monthly_standard" in {f.name for f in Disease._meta.get_fields()}
    for code, name, icd10, category, monthly, fund_share in HY_DISEASES:
        defaults: dict[str, Any] = {"name": name, "icd10_codes": icd10, "category": category}
        if amounts_on_disease:  # before 0011 the amounts lived on the disease
            defaults.update(
                monthly_standard=Decimal(monthly),
                fund_share_pct=Decimal(fund_share),
                amounts_are_demo=True,
            )
        Disease.objects.get_or_create(programme=hy, code=code, defaults=defaults)
    if not amounts_on_disease:
        ensure_first_version(apps, hy, hy_standard_rows())


def hy_standard_rows() -> list[dict[str, Any]]:
    """The HY-TM rows of the shipped reference file (programmes/reference_data/HY-TM.csv)."""
    return [
        {
            "code": code,
            "name": name,
            "category": category,
            "icd10_codes": icd10,
            "monthly_standard": Decimal(monthly),
            "quarterly_standard": None,
            "fund_share_pct": Decimal(fund_share),
            "amounts_are_demo": True,
        }
        for code, name, icd10, category, monthly, fund_share in HY_DISEASES
    ]


def ensure_first_version(apps: Any, programme: Any, rows: list[dict[str, Any]]) -> None:
    """Version 1 of the programme's standards from `rows`, in force from the programme's
    start, unless it has a version; its SHA-256 is that of the file these rows make, so that
    loading the shipped file again is refused as already loaded."""
    from programmes.standards import render_reference

    ReferenceVersion = apps.get_model("programmes", "ReferenceVersion")
    DiseaseStandard = apps.get_model("programmes", "DiseaseStandard")
    Disease = apps.get_model("programmes", "Disease")
    if not rows or ReferenceVersion.objects.filter(programme=programme).exists():
        return
    content = render_reference(
        programme_code=programme.code,
        source=HY_STANDARDS_SOURCE,
        source_date=HY_STANDARDS_DATE,
        rows=rows,
    )
    version = ReferenceVersion.objects.create(
        programme=programme,
        number=1,
        source_document=HY_STANDARDS_SOURCE,
        source_date=HY_STANDARDS_DATE,
        effective_from=programme.valid_from or HY_STANDARDS_DATE,
        file_name=f"{programme.code}.csv",
        sha256=hashlib.sha256(content).hexdigest(),
    )
    diseases = {d.code: d for d in Disease.objects.filter(programme=programme)}
    DiseaseStandard.objects.bulk_create(
        DiseaseStandard(
            version=version,
            disease=diseases[row["code"]],
            **{k: row[k] for k in ("monthly_standard", "quarterly_standard", "fund_share_pct")},
            amounts_are_demo=row["amounts_are_demo"],
        )
        for row in rows
    )
