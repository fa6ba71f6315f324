"""Reference data of accreditation: the yearly assessment indicators of HY-TM and GY-PT
(HY-E09, HY 七), from the seeds' assessment content (stocktakes, ledger balance, violations,
conditions kept, payroll evidence, prices, supervision findings, and what only a reviewer can
judge). Used by the data migration and, in tests, after transactional tests flush the tables."""

from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps

# (code, label, rule, weight, max points, method, metric, params)
COMMON = [
    ("C01", "定点条件持续符合", "HY-A01", 15, 10, "auto", "eligibility_kept", {}),
    ("C02", "进销存盘点按时报送", "HY-B03", 15, 10, "auto", "stocktakes_on_time", {}),
    ("C03", "盘点账实相符", "HY-B03", 10, 10, "auto", "stocktake_balance", {"per_case": "0.25"}),
    ("C04", "违规处理情况", "HY-E10", 15, 10, "auto", "violation_decisions", {"per_case": "0.5"}),
    (
        "C05",
        "监管发现及办结",
        "HY-E09",
        10,
        10,
        "auto",
        "findings",
        {"per_open": "0.25", "per_closed": "0.1"},
    ),
    ("C06", "药品价格合规", "HY-B02", 10, 10, "auto", "price_compliance", {}),
    ("C07", "新入职职工工资流水按时提供", "HY-E01", 10, 10, "auto", "payroll_on_time", {}),
    ("C08", "服务质量与协议执行（现场考核）", "HY-E09", 15, 10, "manual", "", {}),
]
# GY-PT: the same indicators under its own rules (GY-E04: agreement breaches handled).
GY_RULES = {
    "HY-A01": "GY-A01",
    "HY-B03": "GY-A06",
    "HY-E10": "GY-E04",
    "HY-E09": "GY-E04",
    "HY-B02": "GY-C01",
    "HY-E01": "GY-A04",
}


def ensure(apps: Any = global_apps) -> None:
    """Create the schemes and indicators that are missing (idempotent)."""
    Programme = apps.get_model("programmes", "Programme")
    Scheme = apps.get_model("accreditation", "AssessmentScheme")
    Indicator = apps.get_model("accreditation", "AssessmentIndicator")
    for code in ("HY-TM", "GY-PT"):
        programme = Programme.objects.filter(code=code).first()
        if programme is None:
            continue
        scheme, _ = Scheme.objects.get_or_create(
            programme=programme,
            defaults={"renewal_min": Decimal(80), "rectification_min": Decimal(60)},
        )
        for order, (c, label, rule, weight, top, method, metric, params) in enumerate(COMMON):
            if code == "GY-PT":
                rule = GY_RULES[rule]
            Indicator.objects.get_or_create(
                scheme=scheme,
                code=c,
                defaults={
                    "label": label,
                    "rule_id": rule,
                    "weight": Decimal(weight),
                    "max_points": Decimal(top),
                    "method": method,
                    "metric": metric,
                    "params": params,
                    "order": order,
                },
            )
