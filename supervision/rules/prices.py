"""SV-F13 prices, the second signal: a pharmacy selling at (or above) the cap on nearly every
line of a month (`cap_percent` per cent of at least `min_lines` lines), once per pharmacy and month.
The other half of the catalogue's signal, prices well above the programme's market reference,
needs a market price the portal does not record (its caps are listed prices, PriceCap), so it
is not checked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import cap_line_months_new, cap_line_shares, cap_lines_sample
from supervision.models import FindingKind
from supervision.rules.attempts import _month_start
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


@register
class AtTheCap(Rule):
    rule_id = "SV-F13"
    signal = "cap"
    description = _("价格：几乎每一行都按最高限价销售（未记录市场参考价，不核对偏离市场价）")
    summary = gettext_noop(
        "%(pharmacy)s %(month)s 共 %(lines)s 行结算中 %(at_cap)s 行按限价销售（%(share)s%%）"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, int]] = {"cap_percent": 95, "min_lines": 30}

    def scan(self, scope: Scope) -> list[Hit]:
        last, months = cap_line_months_new(
            after_id=scope.after_id("dispensing_line"), period=scope.period
        )
        scope.advance("dispensing_line", last)
        if not months:
            return []
        touched = {(p, _month_start(m)) for p, m in months}
        until = _month_start(max(m for _p, m in touched) + timedelta(days=32))
        shares = cap_line_shares(
            pharmacy_ids=sorted({p for p, _m in touched}),
            since=min(m for _p, m in touched),
            until=until,
        )
        hits = []
        for row in shares:
            pharmacy_id, month = row["dispensing__pharmacy_id"], _month_start(row["month"])
            limits = scope.parameters(row["programme"])
            if (pharmacy_id, month) not in touched or row["lines"] < int(limits["min_lines"]):
                continue
            share = Decimal(row["at_cap"]) / Decimal(row["lines"])
            if share * 100 < Decimal(str(limits["cap_percent"])):
                continue
            label = f"{month:%Y-%m}"
            sample = cap_lines_sample(
                pharmacy_id=pharmacy_id,
                since=month,
                until=_month_start(month + timedelta(days=32)),
            )
            hits.append(
                Hit(
                    key=f"cap:{pharmacy_id}:{label}",
                    organisation_id=row["dispensing__pharmacy__organisation_id"],
                    pharmacy_id=pharmacy_id,
                    params={
                        "signal": self.signal,
                        "pharmacy": row["dispensing__pharmacy__organisation__name"],
                        "month": label,
                        "lines": row["lines"],
                        "at_cap": row["at_cap"],
                        "share": f"{share * 100:.0f}",
                    },
                    evidence=json_safe(
                        {
                            "month": label,
                            "lines": row["lines"],
                            "at_cap": row["at_cap"],
                            "lines_at_cap": sample,
                        }
                    ),
                )
            )
        return hits
