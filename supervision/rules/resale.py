"""SV-F07 诱导倒卖 (inducing resale), two signals over the settled sales, recomputed for the
quarters new sales fall in (watermark: the dispensing id), aggregated in the database:

- quota used to the last yuan: patients whose quota period (prescriptions.QuotaAccount,
  a quarter under the programmes today) was used to within `tolerance` yuan in at least
  `quarters` consecutive periods; a pharmacy that settled at least `patients` of them in a
  period is a finding, once per pharmacy and period (Dispensing.quota_period_start);
- top spend: per disease and calendar quarter, the patients whose fund spend is above the
  `percentile` of that disease's patients; a pharmacy that settled at least `patients` of them
  and at least `share` of them is a finding, once per pharmacy, disease and quarter.

Thresholds are programme data (the programme of the sales)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import (
    disease_quarters_new,
    fund_by_patient_and_pharmacy,
    quota_accounts_of_quarters,
    quota_patients_by_pharmacy,
    quota_quarters_new,
)
from supervision.models import FindingKind
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _streak(accounts: list[dict[str, Any]], start: date, tolerance: Decimal) -> int:
    """How many consecutive quota periods up to the one starting `start` were used to within
    `tolerance` yuan (0: that one was not)."""
    by_start = {a["period_start"]: a for a in accounts}
    by_end = {a["period_end"]: a for a in accounts}
    n, account = 0, by_start.get(start)
    while (
        account is not None
        and account["quota"] > 0
        and account["quota"] - account["used"] <= tolerance
    ):
        n += 1
        account = by_end.get(account["period_start"] - timedelta(days=1))
    return n


@register
class QuotaToTheLastYuan(Rule):
    rule_id = "SV-F07"
    description = _("诱导倒卖：药店多名患者连续多个季度将特门额度用至最后一元")
    summary = gettext_noop(
        "%(pharmacy)s %(quarter)s 有 %(n)s 名患者连续 %(quarters)s 个季度"
        "将额度用至不足 %(tolerance)s 元"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, Any]] = {"tolerance": 1, "quarters": 2, "patients": 3}

    def scan(self, scope: Scope) -> list[Hit]:
        last, quarters = quota_quarters_new(
            after_id=scope.after_id("dispensing"), period=scope.period
        )
        scope.advance("dispensing", last)
        if not quarters:
            return []
        rows = quota_patients_by_pharmacy(quarters=quarters)
        if not rows:
            return []
        lookback = max(int(scope.parameters(r["programme"])["quarters"]) for r in rows)
        since = min(quarters) - timedelta(days=93 * max(lookback - 1, 0))
        accounts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for account in quota_accounts_of_quarters(quarters=quarters, since=since):
            accounts[account["enrolment_id"]].append(account)
        hits = []
        for (pharmacy_id, start), group in groupby(
            rows, key=lambda r: (r["pharmacy_id"], r["quota_period_start"])
        ):
            hit = self._judge(scope, pharmacy_id, start, list(group), accounts)
            if hit is not None:
                hits.append(hit)
        return hits

    def _judge(
        self,
        scope: Scope,
        pharmacy_id: int,
        start: date,
        rows: list[dict[str, Any]],
        accounts: dict[int, list[dict[str, Any]]],
    ) -> Hit | None:
        limits = scope.parameters(rows[0]["programme"])
        tolerance, quarters = Decimal(str(limits["tolerance"])), int(limits["quarters"])
        patients: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            own = accounts.get(row["enrolment_id"], [])
            n = _streak(own, start, tolerance)
            if n >= quarters:
                patients[row["patient_id"]] = [
                    {k: a[k] for k in ("period_start", "quota", "used")}
                    for a in own
                    if a["period_start"] <= start
                ][-n:]
        if len(patients) < int(limits["patients"]):
            return None
        first, label = rows[0], quarter_label(start)
        return Hit(
            key=f"{pharmacy_id}:{start.isoformat()}",
            organisation_id=first["pharmacy__organisation_id"],
            pharmacy_id=pharmacy_id,
            params={
                "pharmacy": first["pharmacy__organisation__name"],
                "quarter": label,
                "n": len(patients),
                "quarters": quarters,
                "tolerance": limits["tolerance"],
            },
            evidence=json_safe(
                {
                    "quarter": label,
                    "period_start": start,
                    "patients": [
                        {"patient_id": pk, "periods": periods}
                        for pk, periods in sorted(patients.items())[:50]
                    ],
                }
            ),
        )


def percentile(values: list[Decimal], p: float) -> Decimal:
    """The `p`-th percentile of `values`, interpolated linearly (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = Decimal(str(p)) / 100 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _quarter_start(at: datetime) -> datetime:
    local = timezone.localtime(at)
    month = (local.month - 1) // 3 * 3 + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


@register
class TopSpend(Rule):
    rule_id = "SV-F07"
    signal = "top_spend"
    description = _("诱导倒卖：某病种统筹支出最高的患者集中在一家药店")
    summary = gettext_noop(
        "%(pharmacy)s %(quarter)s %(disease)s 统筹支出前 %(top)s%% 的 %(total)s 名患者中"
        "有 %(n)s 名在本店结算（%(share)s%%）"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, Any]] = {"percentile": 95, "share": 0.5, "patients": 3}

    def scan(self, scope: Scope) -> list[Hit]:
        last, groups = disease_quarters_new(
            after_id=scope.after_id("top_spend:dispensing"), period=scope.period
        )
        scope.advance("top_spend:dispensing", last)
        if not groups:
            return []
        touched = {(d, _quarter_start(q)) for d, q in groups}
        until = _quarter_start(max(q for _d, q in touched) + timedelta(days=100))
        rows = fund_by_patient_and_pharmacy(
            disease_ids=sorted({d for d, _q in touched}),
            since=min(q for _d, q in touched),
            until=until,
        )
        hits = []
        for (disease_id, quarter), group in groupby(
            rows, key=lambda r: (r["disease_id"], _quarter_start(r["quarter"]))
        ):
            if (disease_id, quarter) in touched:
                hits += self._judge(scope, quarter, list(group))
        return hits

    def _judge(self, scope: Scope, quarter: datetime, rows: list[dict[str, Any]]) -> list[Hit]:
        limits = scope.parameters(max(r["programme"] for r in rows))
        spend: dict[int, Decimal] = defaultdict(Decimal)
        for row in rows:
            spend[row["patient_id"]] += Decimal(row["fund"] or 0)
        line = percentile(list(spend.values()), float(limits["percentile"]))
        top = {pk for pk, fund in spend.items() if fund > line}
        if not top:
            return []
        at: dict[int, set[int]] = defaultdict(set)
        names: dict[int, dict[str, Any]] = {}
        for row in rows:
            if row["patient_id"] in top:
                at[row["pharmacy_id"]].add(row["patient_id"])
                names[row["pharmacy_id"]] = row
        label = quarter_label(quarter.date())
        hits = []
        for pharmacy_id, patients in sorted(at.items()):
            share = Decimal(len(patients)) / Decimal(len(top))
            if len(patients) < int(limits["patients"]) or share < Decimal(str(limits["share"])):
                continue
            row = names[pharmacy_id]
            hits.append(
                Hit(
                    key=f"{self.signal}:{pharmacy_id}:{row['disease_id']}:{label}",
                    organisation_id=row["pharmacy__organisation_id"],
                    pharmacy_id=pharmacy_id,
                    params={
                        "signal": self.signal,
                        "pharmacy": row["pharmacy__organisation__name"],
                        "quarter": label,
                        "disease": row["disease__name"],
                        "top": f"{100 - float(limits['percentile']):g}",
                        "total": len(top),
                        "n": len(patients),
                        "share": f"{share * 100:.0f}",
                    },
                    evidence=json_safe(
                        {
                            "quarter": label,
                            "disease": row["disease__name"],
                            "patients": len(spend),
                            "percentile": limits["percentile"],
                            "percentile_fund": line.quantize(Decimal("0.01")),
                            "top_patients": len(top),
                            "here": [
                                {"patient_id": pk, "fund": spend[pk]}
                                for pk in sorted(patients, key=lambda pk: -spend[pk])[:50]
                            ],
                        }
                    ),
                )
            )
        return hits
