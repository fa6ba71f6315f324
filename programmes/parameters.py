"""How the programme parameters are grouped and labelled on the parameter pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

VALIDITY_FIELDS = ["valid_from", "valid_until", "superseded_from"]

PARAMETER_GROUPS: list[tuple[StrOrPromise, list[str]]] = [
    (
        _("药店条件"),
        [
            "violation_lookback_years",
            "min_months_open",
            "min_licensed_pharmacists",
            "pharmacist_registered_here",
            "pharmacist_filing_required",
            "min_lease_months",
            "video_retention_days",
            "basic_drug_coverage_pct",
            "therapeutic_share_pct",
        ],
    ),
    (_("药品价格"), ["price_cap_basis", "price_discount_pct"]),
    (
        _("定点程序"),
        [
            "evaluation_months",
            "notice_working_days",
            "feedback_working_days",
            "reapplication_ban_years",
            "termination_ban_years",
            "agreement_term_years",
            "payroll_evidence_months",
            "record_retention_years",
            "transition_end_month",
            "transition_end_day",
        ],
    ),
    (
        _("处方与待遇"),
        [
            "normal_prescription_days",
            "long_term_prescription_days",
            "prescription_interval_months",
            "quota_period",
        ],
    ),
    (
        _("普通门诊待遇"),
        [
            "outpatient_deductible",
            "outpatient_fund_share_pct",
            "outpatient_annual_cap",
            "outpatient_amounts_are_demo",
            "outpatient_insured_types",
        ],
    ),
    (_("患者申报"), ["filing_months", "immediate_filing_diseases"]),
    (
        _("进销存"),
        [
            "stocktake_period",
            "stocktake_due_working_days",
            "stocktake_reminder_working_days",
            "stocktake_tolerance_units",
            "stocktake_blind",
            "near_expiry_days",
            "approval_number_only",
            "catalogue_stocked_pct",
        ],
    ),
    (_("基金监管"), ["risk_weight_normal", "risk_weight_priority_inspection"]),
]

EDITABLE_FIELDS: list[str] = VALIDITY_FIELDS + [
    f for _g, fields in PARAMETER_GROUPS for f in fields
]

# Edited through programme_update_parameters too, but on the supervision rules page (a JSON
# of thresholds per rule), not on the programme's parameter form.
SUPERVISION_FIELDS: list[str] = ["supervision_parameters"]
