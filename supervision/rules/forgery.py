"""SV-F08 伪造处方 (forged prescriptions), three signals: a prescription dispensed whose
physician account had no active physician post (Membership) at the issuing institution on
the day it was issued (judged from the post's history); a prescription dated after a sale of
it (the sale's local date); one physician's prescriptions in a month above `factor` times the
median of the other physicians of the same institution that month, with at least
`min_prescriptions`. Prescriptions naming no physician account or no institution (paper ones
recorded with a name only) cannot be checked against the posts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from statistics import median
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import (
    physician_month_counts,
    physician_prescriptions_sample,
    physicians_active_on,
    prescribed_dispensings_new,
    prescription_months_new,
)
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _by_prescription(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["prescription_id"], []).append(row)
    return grouped


def _prescription(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": row["prescription__number"],
        "source": row["prescription__source"],
        "issued_on": row["prescription__issued_on"],
        "physician": row["prescription__physician__username"],
        "physician_name": row["prescription__physician_name"],
        "institution": row["prescription__institution__name"],
    }


def _sales(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "number": r["number"],
            "at": r["dispensed_at"],
            "pharmacy": r["pharmacy__organisation__name"],
        }
        for r in rows[:50]
    ]


@register
class PrescriberNotInPost(Rule):
    rule_id = "SV-F08"
    description = _("伪造处方：开方医师开具当日不是开方医院的在岗处方医师")
    summary = gettext_noop(
        "处方 %(number)s 的开方医师 %(physician)s 于 %(issued_on)s 不是 %(institution)s "
        "的在岗处方医师，%(pharmacy)s 据此结算"
    )
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION

    def scan(self, scope: Scope) -> list[Hit]:
        last, rows = prescribed_dispensings_new(
            after_id=scope.after_id("dispensing"), period=scope.period
        )
        scope.advance("dispensing", last)
        grouped = _by_prescription(rows)
        asked = {
            (
                g[0]["prescription__physician_id"],
                g[0]["prescription__institution_id"],
                g[0]["prescription__issued_on"],
            )
            for g in grouped.values()
        }
        active = physicians_active_on(asked)
        hits = []
        for group in grouped.values():
            first = group[0]
            key = (
                first["prescription__physician_id"],
                first["prescription__institution_id"],
                first["prescription__issued_on"],
            )
            if key in active:
                continue
            hits.append(
                Hit(
                    key=first["prescription__number"],
                    organisation_id=first["pharmacy__organisation_id"],
                    pharmacy_id=first["pharmacy_id"],
                    params={
                        "number": first["prescription__number"],
                        "physician": first["prescription__physician_name"]
                        or first["prescription__physician__username"],
                        "issued_on": f"{first['prescription__issued_on']:%Y-%m-%d}",
                        "institution": first["prescription__institution__name"],
                        "pharmacy": first["pharmacy__organisation__name"],
                    },
                    evidence=json_safe(
                        {"prescription": _prescription(first), "dispensings": _sales(group)}
                    ),
                )
            )
        return hits


@register
class DatedAfterSale(Rule):
    rule_id = "SV-F08"
    signal = "dated_after"
    description = _("伪造处方：处方开具日期晚于据此结算的日期")
    summary = gettext_noop(
        "处方 %(number)s 开具于 %(issued_on)s，晚于 %(pharmacy)s 据此结算的日期 %(sold_on)s"
    )
    kind = FindingKind.DISPENSING

    def scan(self, scope: Scope) -> list[Hit]:
        source = f"{self.signal}:dispensing"
        last, rows = prescribed_dispensings_new(
            after_id=scope.after_id(source), period=scope.period, dated_after_sale=True
        )
        scope.advance(source, last)
        hits = []
        for group in _by_prescription(rows).values():
            first = group[0]
            hits.append(
                Hit(
                    key=f"{self.signal}:{first['prescription__number']}",
                    organisation_id=first["pharmacy__organisation_id"],
                    pharmacy_id=first["pharmacy_id"],
                    params={
                        "signal": self.signal,
                        "number": first["prescription__number"],
                        "issued_on": f"{first['prescription__issued_on']:%Y-%m-%d}",
                        "pharmacy": first["pharmacy__organisation__name"],
                        "sold_on": f"{timezone.localdate(first['dispensed_at']):%Y-%m-%d}",
                    },
                    evidence=json_safe(
                        {"prescription": _prescription(first), "dispensings": _sales(group)}
                    ),
                )
            )
        return hits


def _next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


@register
class PhysicianVolume(Rule):
    rule_id = "SV-F08"
    signal = "volume"
    description = _("伪造处方：某医师当月开方量远高于本院其他医师的中位数")
    summary = gettext_noop(
        "%(institution)s 医师 %(physician)s %(month)s 开具处方 %(n)s 张，"
        "高于本院其他医师中位数 %(median)s 张的 %(factor)s 倍"
    )
    kind = FindingKind.OTHER
    defaults: ClassVar[dict[str, int]] = {"factor": 3, "min_prescriptions": 50}

    def scan(self, scope: Scope) -> list[Hit]:
        source = f"{self.signal}:prescription"
        last, touched = prescription_months_new(
            after_id=scope.after_id(source), period=scope.period
        )
        scope.advance(source, last)
        if not touched:
            return []
        counts = physician_month_counts(
            institution_ids=sorted({i for i, _m in touched}),
            since=min(m for _i, m in touched),
            until=_next_month(max(m for _i, m in touched)),
        )
        hits = []
        for key, group in groupby(counts, key=lambda r: (r["institution_id"], r["month"])):
            if key in touched:
                rows = list(group)
                hits += [hit for row in rows if (hit := self._judge(scope, row, rows))]
        return hits

    def _judge(self, scope: Scope, row: dict[str, Any], rows: list[dict[str, Any]]) -> Hit | None:
        peers = [r["n"] for r in rows if r["physician_id"] != row["physician_id"]]
        limits = scope.parameters(row["programme"])
        if not peers or row["n"] < int(limits["min_prescriptions"]):
            return None
        middle = Decimal(str(median(peers)))
        factor = Decimal(str(limits["factor"]))
        if row["n"] <= factor * middle:
            return None
        month = row["month"]
        label = f"{month:%Y-%m}"
        return Hit(
            key=f"{self.signal}:{row['institution_id']}:{row['physician_id']}:{label}",
            organisation_id=row["institution_id"],
            pharmacy_id=None,
            params={
                "signal": self.signal,
                "institution": row["institution__name"],
                "physician": row["physician__username"],
                "month": label,
                "n": row["n"],
                "median": f"{middle:.1f}".removesuffix(".0"),
                "factor": limits["factor"],
            },
            evidence=json_safe(
                {
                    "month": label,
                    "prescriptions": row["n"],
                    "peers": {r["physician__username"]: r["n"] for r in rows if r is not row},
                    "peer_median": middle,
                    "sample": physician_prescriptions_sample(
                        physician_id=row["physician_id"],
                        institution_id=row["institution_id"],
                        since=month,
                        until=_next_month(month),
                    ),
                }
            ),
        )
