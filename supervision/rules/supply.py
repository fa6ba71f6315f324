"""SV-F06 超量/重复购药 (over-supply), the signals over the settled sales beside the refusal
count (attempts.OverSupplyAttempts), recomputed for the (patient, calendar month) pairs new
sales fall in (watermark: the dispensing id, one source per signal), aggregated in the database:

- days: a patient's days of supply of one drug dispensed in a month (each line: the item's
  days times the share of its quantity dispensed) beyond the month's days plus
  `tolerance_days`;
- pharmacies: the same patient settled the same drug at `pharmacies` or more pharmacies in a
  month;
- monthly_prescriptions: more than `prescriptions` prescriptions for one disease dispensed in a
  month, none of them long-term (HY 五(二), PrescriptionKind.LONG_TERM).

Once per patient, month (and drug); the finding goes to the pharmacy of the latest sale.
Thresholds are programme data (the programme of the sales)."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import (
    patient_months_new,
    prescriptions_by_patient_disease_month,
    supply_by_patient_drug_month,
)
from supervision.models import FindingKind
from supervision.rules.attempts import _month_start
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


class MonthlySignal(Rule):
    """A signal of SV-F06 judged per row of a monthly aggregate over the touched patients."""

    rule_id = "SV-F06"
    kind = FindingKind.DISPENSING

    def touched(self, scope: Scope) -> tuple[set[tuple[int, datetime]], datetime, datetime]:
        source = f"{self.signal}:dispensing"
        last, months = patient_months_new(after_id=scope.after_id(source), period=scope.period)
        scope.advance(source, last)
        touched = {(p, _month_start(m)) for p, m in months}
        if not touched:
            return touched, datetime.min, datetime.min
        since = min(m for _p, m in touched)
        until = _month_start(max(m for _p, m in touched) + timedelta(days=32))
        return touched, since, until

    def rows(self, patient_ids: list[int], since: datetime, until: datetime) -> list[Any]:
        raise NotImplementedError

    def judge(self, scope: Scope, row: dict[str, Any], label: str) -> Hit | None:
        raise NotImplementedError

    def scan(self, scope: Scope) -> list[Hit]:
        touched, since, until = self.touched(scope)
        if not touched:
            return []
        hits = []
        for row in self.rows(sorted({p for p, _m in touched}), since, until):
            month = _month_start(row["month"])
            if (row.get("patient_id", row.get("dispensing__patient_id")), month) not in touched:
                continue
            hit = self.judge(scope, row, f"{month:%Y-%m}")
            if hit is not None:
                hits.append(hit)
        return hits

    def hit(self, key: str, row: dict[str, Any], params: dict[str, Any], evidence: Any) -> Hit:
        """The finding, at the pharmacy of the group's latest sale."""
        return Hit(
            key=f"{self.signal}:{key}",
            organisation_id=row["organisation_ids"][-1],
            pharmacy_id=row["pharmacy_ids"][-1],
            params={"signal": self.signal, "pharmacy": row["organisations"][-1], **params},
            evidence=json_safe(
                {
                    **evidence,
                    "dispensings": [
                        {"number": n, "pharmacy": o}
                        for n, o in zip(row["numbers"], row["organisations"], strict=True)
                    ][-50:],
                }
            ),
        )


@register
class DaysOfSupply(MonthlySignal):
    signal = "days"
    description = _("超量购药：一个月内同一药品的供药天数超过当月天数加宽限天数")
    summary = gettext_noop(
        "患者（ID %(patient)s）%(month)s 购 %(drug)s 供药 %(days)s 天，"
        "超过当月 %(month_days)s 天加 %(tolerance)s 天（%(pharmacy)s）"
    )
    defaults: ClassVar[dict[str, Any]] = {"tolerance_days": 7}

    def rows(self, patient_ids: list[int], since: datetime, until: datetime) -> list[Any]:
        return supply_by_patient_drug_month(patient_ids=patient_ids, since=since, until=until)

    def judge(self, scope: Scope, row: dict[str, Any], label: str) -> Hit | None:
        tolerance = int(scope.parameters(row["programme"])["tolerance_days"])
        month = _month_start(row["month"])
        month_days = monthrange(month.year, month.month)[1]
        days = round(float(row["days"] or 0), 1)
        if days <= month_days + tolerance:
            return None
        patient = row["dispensing__patient_id"]
        return self.hit(
            f"{patient}:{row['drug_id']}:{label}",
            row,
            {
                "patient": patient,
                "month": label,
                "drug": row["drug__generic_name"],
                "days": f"{days:g}",
                "month_days": month_days,
                "tolerance": tolerance,
            },
            {
                "patient_id": patient,
                "month": label,
                "drug": row["drug__generic_name"],
                "days": days,
                "month_days": month_days,
                "tolerance_days": tolerance,
            },
        )


@register
class SeveralPharmacies(MonthlySignal):
    signal = "pharmacies"
    description = _("重复购药：一个月内同一患者在多家药店结算同一药品")
    summary = gettext_noop(
        "患者（ID %(patient)s）%(month)s 在 %(n)s 家药店结算 %(drug)s（最近一次：%(pharmacy)s）"
    )
    defaults: ClassVar[dict[str, Any]] = {"pharmacies": 2}

    def rows(self, patient_ids: list[int], since: datetime, until: datetime) -> list[Any]:
        return supply_by_patient_drug_month(patient_ids=patient_ids, since=since, until=until)

    def judge(self, scope: Scope, row: dict[str, Any], label: str) -> Hit | None:
        limit = int(scope.parameters(row["programme"])["pharmacies"])
        if row["pharmacies"] < limit:
            return None
        patient = row["dispensing__patient_id"]
        return self.hit(
            f"{patient}:{row['drug_id']}:{label}",
            row,
            {
                "patient": patient,
                "month": label,
                "drug": row["drug__generic_name"],
                "n": row["pharmacies"],
            },
            {
                "patient_id": patient,
                "month": label,
                "drug": row["drug__generic_name"],
                "pharmacies": sorted(set(row["organisations"])),
            },
        )


@register
class MonthlyPrescriptions(MonthlySignal):
    signal = "monthly_prescriptions"
    description = _("重复开方：一个月内同一病种多张处方且均非长期处方（HY 五(二)）")
    summary = gettext_noop(
        "患者（ID %(patient)s）%(month)s %(disease)s 配药 %(n)s 张处方，均非长期处方"
        "（最近一次：%(pharmacy)s）"
    )
    defaults: ClassVar[dict[str, Any]] = {"prescriptions": 1}

    def rows(self, patient_ids: list[int], since: datetime, until: datetime) -> list[Any]:
        return prescriptions_by_patient_disease_month(
            patient_ids=patient_ids, since=since, until=until
        )

    def judge(self, scope: Scope, row: dict[str, Any], label: str) -> Hit | None:
        limit = int(scope.parameters(row["programme"])["prescriptions"])
        if row["long_term"] or row["prescriptions"] <= limit:
            return None
        patient = row["patient_id"]
        return self.hit(
            f"{patient}:{row['disease_id']}:{label}",
            row,
            {
                "patient": patient,
                "month": label,
                "disease": row["disease__name"],
                "n": row["prescriptions"],
            },
            {
                "patient_id": patient,
                "month": label,
                "disease": row["disease__name"],
                "prescriptions": sorted(set(row["prescription_numbers"])),
            },
        )
