"""SV-F10 licensed pharmacist not on duty (HY 五(一), HY-E01): settled sales of prescription
drugs on a local day when no licensed pharmacist of the pharmacy was employed and rostered
that weekday (StaffMember.hired_on/left_on, duty_weekdays), once per pharmacy and day.
The roster read is the current one (a roster changed after the sale is judged as it stands).
Threshold: `min_dispensings` such sales a day, programme data."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from pharmacies.oversight import licensed_pharmacists
from prescriptions.oversight import rx_dispensings_new
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _on_duty(staff: dict[str, Any], day: date) -> bool:
    employed = staff["hired_on"] <= day and (staff["left_on"] is None or staff["left_on"] >= day)
    return employed and str(day.isoweekday()) in staff["duty_weekdays"]


def _day(row: dict[str, Any]) -> tuple[int, date]:
    return row["pharmacy_id"], timezone.localdate(row["dispensed_at"])


@register
class PharmacistOffDuty(Rule):
    rule_id = "SV-F10"
    description = _("执业药师不在岗：处方药结算当日本店无在职且排班在岗的执业药师（HY-E01）")
    summary = gettext_noop("%(pharmacy)s %(day)s 无执业药师在岗，仍结算处方药 %(n)s 笔")
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION
    defaults: ClassVar[dict[str, int]] = {"min_dispensings": 1}

    def scan(self, scope: Scope) -> list[Hit]:
        last, rows = rx_dispensings_new(after_id=scope.after_id("dispensing"), period=scope.period)
        scope.advance("dispensing", last)
        if not rows:
            return []
        roster: dict[int, list[dict[str, Any]]] = {}
        for member in licensed_pharmacists(pharmacy_ids=sorted({r["pharmacy_id"] for r in rows})):
            roster.setdefault(member["pharmacy_id"], []).append(member)
        hits = []
        for (pharmacy_id, day), group in groupby(sorted(rows, key=_day), key=_day):
            staff = roster.get(pharmacy_id, [])
            sales = list(group)
            limits = scope.parameters(sales[0]["programme_id"])
            if any(_on_duty(s, day) for s in staff) or len(sales) < int(limits["min_dispensings"]):
                continue
            first = sales[0]
            hits.append(
                Hit(
                    key=f"{pharmacy_id}:{day.isoformat()}",
                    organisation_id=first["pharmacy__organisation_id"],
                    pharmacy_id=pharmacy_id,
                    params={
                        "pharmacy": first["pharmacy__organisation__name"],
                        "day": day.isoformat(),
                        "n": len(sales),
                    },
                    evidence=json_safe(
                        {
                            "day": day,
                            "weekday": day.isoweekday(),
                            "dispensings": [
                                {
                                    "number": r["number"],
                                    "at": r["dispensed_at"],
                                    "reviewing_pharmacist": r["reviewing_pharmacist__name"],
                                }
                                for r in sales[:50]
                            ],
                            "roster": [
                                {k: s[k] for k in ("name", "duty_weekdays", "hired_on", "left_on")}
                                for s in staff
                            ],
                        }
                    ),
                )
            )
        return hits
