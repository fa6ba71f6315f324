"""Rules over the settled sales: SV-F04 a burst of patients settled at one pharmacy within
minutes (空刷/套刷), SV-F14 sales recorded by an account not on the pharmacy's staff list
(GY-B02, outsourcing the business)."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import dispensings_around, dispensings_new
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


@register
class UnlistedRecorder(Rule):
    rule_id = "SV-F14"
    description = _("外包经营：结算由不在本店人员名单内的账号录入（GY-B02）")
    summary = gettext_noop("结算 %(number)s 由不在 %(pharmacy)s 人员名单内的账号 %(user)s 录入")
    kind = FindingKind.DISPENSING

    def scan(self, scope: Scope) -> list[Hit]:
        rows = dispensings_new(
            after_id=scope.after_id("dispensing"), period=scope.period, recorder_off_staff=True
        )
        scope.advance("dispensing", max((r["id"] for r in rows), default=None))
        return [
            Hit(
                key=row["number"],
                organisation_id=row["pharmacy__organisation_id"],
                pharmacy_id=row["pharmacy_id"],
                params={
                    "number": row["number"],
                    "pharmacy": row["pharmacy__organisation__name"],
                    "user": row["pharmacist__username"],
                },
                evidence=json_safe(
                    {
                        "dispensing": row["number"],
                        "at": row["dispensed_at"],
                        "recorded_by": row["pharmacist__username"],
                    }
                ),
            )
            for row in rows
        ]


def _bursts(
    rows: list[dict[str, Any]], new_ids: set[int], patients: int, minutes: int
) -> list[list[dict[str, Any]]]:
    """Windows of `minutes` from a sale holding at least `patients` different patients and
    one new sale; a window taken is not started again inside."""
    found, i = [], 0
    span = timedelta(minutes=minutes)
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1]["dispensed_at"] - rows[i]["dispensed_at"] <= span:
            j += 1
        window = rows[i : j + 1]
        if len({r["patient_id"] for r in window}) >= patients and any(
            r["id"] in new_ids for r in window
        ):
            found.append(window)
            i = j + 1
        else:
            i += 1
    return found


@register
class SettlementBurst(Rule):
    rule_id = "SV-F04"
    description = _("空刷/套刷：短时间内一家药店集中结算多名患者")
    summary = gettext_noop("%(pharmacy)s 在 %(minutes)s 分钟内为 %(n)s 名患者结算（%(start)s 起）")
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION
    defaults: ClassVar[dict[str, int]] = {"patients": 5, "minutes": 10}

    def scan(self, scope: Scope) -> list[Hit]:
        new = dispensings_new(after_id=scope.after_id("dispensing"), period=scope.period)
        if not new:
            return []
        scope.advance("dispensing", new[-1]["id"])
        limits = scope.parameters(new[0]["programme_id"])
        patients, minutes = int(limits["patients"]), int(limits["minutes"])
        span = timedelta(minutes=minutes)
        rows = dispensings_around(
            pharmacy_ids=sorted({r["pharmacy_id"] for r in new}),
            since=min(r["dispensed_at"] for r in new) - span,
            until=max(r["dispensed_at"] for r in new) + span,
        )
        new_ids = {r["id"] for r in new}
        hits = []
        for _pharmacy, group in groupby(rows, key=lambda r: r["pharmacy_id"]):
            for window in _bursts(list(group), new_ids, patients, minutes):
                first = window[0]
                hits.append(
                    Hit(
                        key=f"{first['pharmacy_id']}:{first['number']}",
                        organisation_id=first["pharmacy__organisation_id"],
                        pharmacy_id=first["pharmacy_id"],
                        params={
                            "pharmacy": first["pharmacy__organisation__name"],
                            "minutes": minutes,
                            "n": len({r["patient_id"] for r in window}),
                            "start": f"{timezone.localtime(first['dispensed_at']):%Y-%m-%d %H:%M}",
                        },
                        evidence=json_safe(
                            {
                                "dispensings": [
                                    {"number": r["number"], "at": r["dispensed_at"]}
                                    for r in window[:50]
                                ]
                            }
                        ),
                    )
                )
        return hits
