"""The ledger's stocktakes (HY-E06): SV-F03 a submitted stocktake that does not balance
(inventory marks it), and HY-E06 a stocktake escalated as overdue (inventory's daily scan
marks it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from inventory.oversight import stocktakes_escalated, stocktakes_imbalanced
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _period(row: dict[str, Any]) -> dict[str, str]:
    return {
        "pharmacy": row["pharmacy__organisation__name"],
        "start": row["period_start"].isoformat(),
        "end": row["period_end"].isoformat(),
    }


@register
class StocktakeImbalance(Rule):
    rule_id = "SV-F03"
    description = _("进销存不符：盘点差异超出允许范围")
    summary = gettext_noop(
        "%(pharmacy)s 进销存不平衡：%(start)s 至 %(end)s 盘点 %(n)s 个批次账实不符"
    )
    kind = FindingKind.STOCK_IMBALANCE
    severity = FindingPriority.PRIORITY_INSPECTION

    def scan(self, scope: Scope) -> list[Hit]:
        rows = stocktakes_imbalanced(after=scope.after_time("stocktake"), period=scope.period)
        scope.advance("stocktake", max((r["submitted_at"] for r in rows), default=None))
        return [
            Hit(
                key=f"{row['id']}:{row['submitted_at']:%Y%m%d%H%M%S}",
                organisation_id=row["pharmacy__organisation_id"],
                pharmacy_id=row["pharmacy_id"],
                params={**_period(row), "n": len(row["lines"])},
                evidence=json_safe({"stocktake": row["id"], **_period(row), "lines": row["lines"]}),
            )
            for row in rows
        ]


@register
class StocktakeOverdue(Rule):
    rule_id = "HY-E06"
    description = _("逾期未报送盘点表")
    summary = gettext_noop("%(pharmacy)s 逾期未报送 %(start)s 至 %(end)s 的盘点表（截止 %(due)s）")
    kind = FindingKind.STOCKTAKE_OVERDUE

    def scan(self, scope: Scope) -> list[Hit]:
        rows = stocktakes_escalated(after=scope.after_time("stocktake"), period=scope.period)
        scope.advance("stocktake", max((r["escalated_at"] for r in rows), default=None))
        return [
            Hit(
                key=f"{row['id']}",
                organisation_id=row["pharmacy__organisation_id"],
                pharmacy_id=row["pharmacy_id"],
                params={**_period(row), "due": row["due_on"].isoformat()},
                evidence=json_safe(
                    {"stocktake": row["id"], **_period(row), "due_on": row["due_on"]}
                ),
            )
            for row in rows
        ]
