"""SV-F01 回流药, the second signal: a traceability code received by a pharmacy (purchase,
transfer in) after it was sold at another one. The ledger refuses such a receipt when it is
entered (HY-B03), so this finds the ledgers where it got in nonetheless (a receipt backdated
before a sale, codes written around the checks). Incremental over the movements (watermark:
the movement id; a new receipt, or a new sale of a code received elsewhere), once per code
and receiving pharmacy."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from inventory.oversight import codes_received_after_sale
from supervision.models import FindingKind, FindingPriority
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


@register
class ReceivedAfterSale(Rule):
    rule_id = "SV-F01"
    signal = "received_after_sale"
    description = _("回流药：药店入库（采购或调入）已在其他药店售出的追溯码")
    summary = gettext_noop("%(pharmacy)s 入库已于 %(sold_at)s 在 %(seller)s 售出的追溯码 %(code)s")
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION

    def scan(self, scope: Scope) -> list[Hit]:
        last, rows = codes_received_after_sale(
            after_id=scope.after_id(f"{self.signal}:movement"), period=scope.period
        )
        scope.advance(f"{self.signal}:movement", last)
        return [
            Hit(
                key=f"{self.signal}:{row['code']}:{row['pharmacy_id']}",
                organisation_id=row["organisation_id"],
                pharmacy_id=row["pharmacy_id"],
                params={
                    "signal": self.signal,
                    "pharmacy": row["organisation"],
                    "code": row["code"],
                    "seller": row["sold_organisation"],
                    "sold_at": f"{timezone.localtime(row['sold_at']):%Y-%m-%d %H:%M}",
                },
                evidence=json_safe(
                    {
                        "code": row["code"],
                        "received": {
                            "pharmacy": row["organisation"],
                            "kind": row["received_kind"],
                            "at": row["received_at"],
                            "movement_id": row["received_movement_id"],
                        },
                        "sale": {
                            "pharmacy": row["sold_organisation"],
                            "at": row["sold_at"],
                            "movement_id": row["sold_movement_id"],
                        },
                    }
                ),
            )
            for row in rows
        ]
