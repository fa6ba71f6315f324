"""SV-F01 回流药: a traceability code presented for sale after it was sold (the counter refused
it under GY-E02 and kept the attempt, prescriptions.CounterRefusal)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from inventory.oversight import code_first_sales
from prescriptions.oversight import refusals_new
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


@register
class ResoldCode(Rule):
    rule_id = "SV-F01"
    description = _("回流药：已售出的追溯码再次结算")
    summary = gettext_noop("%(pharmacy)s 结算已售出的追溯码 %(code)s")
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION

    def scan(self, scope: Scope) -> list[Hit]:
        rows = refusals_new(
            rule_ids=["GY-E02"], after_id=scope.after_id("refusal"), period=scope.period
        )
        scope.advance("refusal", max((r["id"] for r in rows), default=None))
        rows = [r for r in rows if r["traceability_code"]]
        first = code_first_sales([r["traceability_code"] for r in rows])
        hits = []
        for row in rows:
            code = row["traceability_code"]
            sale = first.get(code, {})
            hits.append(
                Hit(
                    key=f"{code}:{row['pharmacy_id']}",
                    organisation_id=row["pharmacy__organisation_id"],
                    pharmacy_id=row["pharmacy_id"],
                    params={"pharmacy": row["pharmacy__organisation__name"], "code": code},
                    evidence=json_safe(
                        {
                            "code": code,
                            "attempt": {
                                "pharmacy": row["pharmacy__organisation__name"],
                                "at": row["refused_at"],
                            },
                            "first_sale": {
                                "pharmacy": sale.get("sold_in__pharmacy__organisation__name"),
                                "at": sale.get("sold_in__occurred_at"),
                            },
                        }
                    ),
                )
            )
        return hits
