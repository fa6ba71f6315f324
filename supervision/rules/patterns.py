"""Patterns across sales (supervision-rules.md): SV-F05's second signal, the same patient
settled at two pharmacies within minutes (冒名购药: one of the two is not the patient), and
SV-F04's second signal, the same basket (drugs and quantities) settled for many patients at
one pharmacy in a day (套刷: cards swiped for a made-up purchase). Thresholds are programme
data."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import groupby, pairwise
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import baskets_of_days, dispensings_new, patient_sales_around
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _at(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _sale(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "pharmacy": row["pharmacy__organisation__name"],
        "at": row["dispensed_at"],
    }


@register
class TwoPharmacies(Rule):
    rule_id = "SV-F05"
    signal = "two_pharmacies"
    description = _("冒名购药：同一患者在若干分钟内于两家药店结算")
    summary = gettext_noop(
        "同一患者 %(minutes)s 分钟内先后在 %(first)s 与 %(pharmacy)s 结算（%(at)s）"
    )
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION
    defaults: ClassVar[dict[str, int]] = {"minutes": 60}

    def scan(self, scope: Scope) -> list[Hit]:
        new = dispensings_new(after_id=scope.after_id(self.signal), period=scope.period)
        if not new:
            return []
        scope.advance(self.signal, new[-1]["id"])
        programmes = {r["programme_id"] for r in new}
        span = timedelta(minutes=max(int(scope.parameters(p)["minutes"]) for p in programmes))
        rows = patient_sales_around(
            patient_ids=sorted({r["patient_id"] for r in new}),
            since=min(r["dispensed_at"] for r in new) - span,
            until=max(r["dispensed_at"] for r in new) + span,
        )
        new_ids = {r["id"] for r in new}
        hits = []
        for _patient, group in groupby(rows, key=lambda r: r["patient_id"]):
            sales = list(group)
            for first, second in pairwise(sales):
                minutes = int(scope.parameters(second["programme_id"])["minutes"])
                apart = second["dispensed_at"] - first["dispensed_at"]
                if (
                    first["pharmacy_id"] != second["pharmacy_id"]
                    and apart <= timedelta(minutes=minutes)
                    and (first["id"] in new_ids or second["id"] in new_ids)
                ):
                    hits.append(self._hit(first, second, minutes, apart))
        return hits

    def _hit(
        self, first: dict[str, Any], second: dict[str, Any], minutes: int, apart: timedelta
    ) -> Hit:
        return Hit(
            key=f"{self.signal}:{first['id']}:{second['id']}",
            organisation_id=second["pharmacy__organisation_id"],
            pharmacy_id=second["pharmacy_id"],
            params={
                "signal": self.signal,
                "minutes": minutes,
                "first": first["pharmacy__organisation__name"],
                "pharmacy": second["pharmacy__organisation__name"],
                "at": _at(second["dispensed_at"]),
            },
            evidence=json_safe(
                {
                    "sales": [_sale(first), _sale(second)],
                    "minutes_apart": round(apart.total_seconds() / 60, 1),
                }
            ),
        )


@register
class SameBasket(Rule):
    rule_id = "SV-F04"
    signal = "same_basket"
    description = _("套刷：同一药店同一天为多名患者结算完全相同的药品和数量")
    summary = gettext_noop(
        "%(pharmacy)s %(day)s 为 %(n)s 名患者结算完全相同的 %(lines)s 种药品和数量"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, int]] = {"basket_patients": 5, "basket_lines": 2}

    def scan(self, scope: Scope) -> list[Hit]:
        new = dispensings_new(after_id=scope.after_id(self.signal), period=scope.period)
        if not new:
            return []
        scope.advance(self.signal, new[-1]["id"])
        days = {timezone.localdate(r["dispensed_at"]) for r in new}
        tz = timezone.get_current_timezone()
        rows = baskets_of_days(
            pharmacy_ids=sorted({r["pharmacy_id"] for r in new}),
            since=datetime.combine(min(days), datetime.min.time(), tz),
            until=datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), tz),
        )
        new_ids = {r["id"] for r in new}
        groups: dict[tuple[int, Any, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if row["basket"]:
                day = timezone.localdate(row["dispensed_at"])
                groups[(row["pharmacy_id"], day, row["basket"])].append(row)
        hits = []
        for (pharmacy_id, day, basket), sales in groups.items():
            limits = scope.parameters(sales[0]["programme_id"])
            patients = {r["patient_id"] for r in sales}
            if (
                sales[0]["n_lines"] >= int(limits["basket_lines"])
                and len(patients) >= int(limits["basket_patients"])
                and any(r["id"] in new_ids for r in sales)
            ):
                digest = hashlib.sha256(basket.encode()).hexdigest()[:16]
                hits.append(
                    Hit(
                        key=f"{self.signal}:{pharmacy_id}:{day:%Y%m%d}:{digest}",
                        organisation_id=sales[0]["pharmacy__organisation_id"],
                        pharmacy_id=pharmacy_id,
                        params={
                            "signal": self.signal,
                            "pharmacy": sales[0]["pharmacy__organisation__name"],
                            "day": day.isoformat(),
                            "n": len(patients),
                            "lines": sales[0]["n_lines"],
                        },
                        evidence=json_safe(
                            {"basket": basket, "sales": [_sale(r) for r in sales[:50]]}
                        ),
                    )
                )
        return hits
