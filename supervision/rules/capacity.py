"""SV-F09 settling for others (ledger totals), two signals:

- settled volume above the pharmacy's capacity: per pharmacy, drug and local month, the
  quantity settled on insurance above the stock at the month's start plus the purchases and
  transfers in of the month, times (1 + `tolerance`);
- `outside_transfer`: a transfer in from outside the owner's chain (counterparty OTHER)
  followed within `days` by settlements of that drug at that pharmacy of more than `share`
  of the quantity transferred, once per transfer.

Thresholds are programme data (the programme of the settlements)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from inventory.oversight import (
    outside_transfers_between,
    outside_transfers_new,
    stock_flows_by_month,
)
from prescriptions.oversight import (
    settled_line_groups_new,
    settled_quantities_by_month,
    settled_sales_between,
)
from supervision.models import FindingKind, FindingPriority
from supervision.rules.attempts import _month_start
from supervision.rules.base import Hit, Rule, Scope, json_safe, register

Key = tuple[int, int, datetime]


def _capacities(
    openings: dict[tuple[int, int], int], flows: list[dict[str, Any]], months: set[Key]
) -> dict[Key, dict[str, int]]:
    """For each (pharmacy, drug, month) wanted: its opening stock, purchases, transfers in."""
    by_pair: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in flows:
        by_pair.setdefault((row["pharmacy_id"], row["drug_id"]), []).append(row)
    found = {}
    for pharmacy_id, drug_id, month in months:
        stock, purchases, transfers_in = openings.get((pharmacy_id, drug_id), 0), 0, 0
        for row in by_pair.get((pharmacy_id, drug_id), []):
            start = _month_start(row["month"])
            if start < month:
                stock += row["net"] or 0
            elif start == month:
                purchases, transfers_in = row["purchases"] or 0, row["transfers_in"] or 0
        found[(pharmacy_id, drug_id, month)] = {
            "opening": stock,
            "purchases": purchases,
            "transfers_in": transfers_in,
        }
    return found


@register
class SettledBeyondCapacity(Rule):
    rule_id = "SV-F09"
    description = _("代他人结算：某药品月度医保结算数量超过期初库存加当月采购和调入")
    summary = gettext_noop(
        "%(pharmacy)s %(month)s 结算 %(drug)s %(sold)s，超过可供数量 %(capacity)s"
        "（期初 %(opening)s + 采购 %(purchases)s + 调入 %(transfers_in)s）"
    )
    kind = FindingKind.DISPENSING
    severity = FindingPriority.PRIORITY_INSPECTION
    defaults: ClassVar[dict[str, Any]] = {"tolerance": 0}

    def scan(self, scope: Scope) -> list[Hit]:
        last, groups = settled_line_groups_new(
            after_id=scope.after_id("dispensing_line"), period=scope.period
        )
        scope.advance("dispensing_line", last)
        if not groups:
            return []
        touched = {
            (g["dispensing__pharmacy_id"], g["drug_id"], _month_start(g["month"])) for g in groups
        }
        pharmacy_ids = sorted({p for p, _d, _m in touched})
        drug_ids = sorted({d for _p, d, _m in touched})
        since = min(m for _p, _d, m in touched)
        until = _month_start(max(m for _p, _d, m in touched) + timedelta(days=32))
        openings, flows = stock_flows_by_month(
            pharmacy_ids=pharmacy_ids, drug_ids=drug_ids, since=since, until=until
        )
        capacities = _capacities(openings, flows, touched)
        sold = settled_quantities_by_month(
            pharmacy_ids=pharmacy_ids, drug_ids=drug_ids, since=since, until=until
        )
        hits = []
        for row in sold:
            key = (row["dispensing__pharmacy_id"], row["drug_id"], _month_start(row["month"]))
            if key not in touched:
                continue
            hit = self._judge(scope, row, key, capacities[key])
            if hit is not None:
                hits.append(hit)
        return hits

    def _judge(
        self, scope: Scope, row: dict[str, Any], key: Key, ledger: dict[str, int]
    ) -> Hit | None:
        tolerance = Decimal(str(scope.parameters(row["programme"])["tolerance"]))
        capacity = ledger["opening"] + ledger["purchases"] + ledger["transfers_in"]
        if Decimal(row["quantity"]) <= Decimal(capacity) * (1 + tolerance):
            return None
        pharmacy_id, drug_id, month = key
        label = f"{month:%Y-%m}"
        params = {
            "pharmacy": row["dispensing__pharmacy__organisation__name"],
            "month": label,
            "drug": row["drug__generic_name"],
            "sold": row["quantity"],
            "capacity": capacity,
            **ledger,
        }
        return Hit(
            key=f"{pharmacy_id}:{drug_id}:{label}",
            organisation_id=row["dispensing__pharmacy__organisation_id"],
            pharmacy_id=pharmacy_id,
            params=params,
            evidence=json_safe(
                {
                    **params,
                    "drug_id": drug_id,
                    "sales": row["sales"],
                    "tolerance": tolerance,
                }
            ),
        )


def _pair(row: dict[str, Any]) -> tuple[int, int]:
    return row["dispensing__pharmacy_id"], row["drug_id"]


@register
class OutsideTransferSettled(Rule):
    rule_id = "SV-F09"
    signal = "outside_transfer"
    description = _("代他人结算：从非同一经营主体调入药品后短期内大量结算")
    summary = gettext_noop(
        "%(pharmacy)s %(at)s 从 %(counterparty)s 调入 %(drug)s %(quantity)s，"
        "%(days)s 天内结算 %(sold)s（超过 %(share)s%%）"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, Any]] = {"days": 7, "share": 0.5}

    def scan(self, scope: Scope) -> list[Hit]:
        last_t, transfers = outside_transfers_new(
            after_id=scope.after_id("outside_transfer"), period=scope.period
        )
        last_l, groups = settled_line_groups_new(
            after_id=scope.after_id("outside_transfer_line"), period=scope.period
        )
        scope.advance("outside_transfer", last_t)
        scope.advance("outside_transfer_line", last_l)
        span = max(
            int(scope.parameters(p)["days"]) for p in {None, *(g["programme"] for g in groups)}
        )
        if groups:
            known = {t["id"] for t in transfers}
            transfers += [
                t
                for t in outside_transfers_between(
                    pharmacy_ids=sorted({g["dispensing__pharmacy_id"] for g in groups}),
                    drug_ids=sorted({g["drug_id"] for g in groups}),
                    since=min(g["first"] for g in groups) - timedelta(days=span),
                    until=max(g["last"] for g in groups),
                )
                if t["id"] not in known
            ]
        if not transfers:
            return []
        sales = self._sales(scope, transfers, span)
        hits = []
        for transfer in transfers:
            hit = self._judge(scope, transfer, sales.get(_t_pair(transfer), []))
            if hit is not None:
                hits.append(hit)
        return hits

    def _sales(
        self, scope: Scope, transfers: list[dict[str, Any]], span: int
    ) -> dict[tuple[int, int], list[dict[str, Any]]]:
        """The settled sales after the transfers, by (pharmacy, drug); fetched again once
        with a longer window if a programme of the sales has one."""
        while True:
            rows = settled_sales_between(
                pharmacy_ids=sorted({t["pharmacy_id"] for t in transfers}),
                drug_ids=sorted({t["drug_id"] for t in transfers}),
                since=min(t["occurred_at"] for t in transfers),
                until=max(t["occurred_at"] for t in transfers) + timedelta(days=span, seconds=1),
            )
            wider = max(
                (int(scope.parameters(r["dispensing__programme_id"])["days"]) for r in rows),
                default=span,
            )
            if wider <= span:
                break
            span = wider
        return {pair: list(group) for pair, group in groupby(sorted(rows, key=_pair), key=_pair)}

    def _judge(
        self, scope: Scope, transfer: dict[str, Any], sales: list[dict[str, Any]]
    ) -> Hit | None:
        at = transfer["occurred_at"]
        after = sorted(
            (s for s in sales if s["dispensing__dispensed_at"] > at),
            key=lambda s: s["dispensing__dispensed_at"],
        )
        if not after:
            return None
        limits = scope.parameters(after[0]["dispensing__programme_id"])
        end = at + timedelta(days=int(limits["days"]))
        window = [s for s in after if s["dispensing__dispensed_at"] <= end]
        sold = sum(s["quantity"] for s in window)
        share = Decimal(str(limits["share"]))
        if not window or Decimal(sold) <= share * transfer["quantity"]:
            return None
        params = {
            "signal": self.signal,
            "pharmacy": transfer["pharmacy__organisation__name"],
            "at": f"{at:%Y-%m-%d}",
            "counterparty": transfer["counterparty"] or "—",
            "drug": transfer["drug__generic_name"],
            "quantity": transfer["quantity"],
            "days": limits["days"],
            "sold": sold,
            "share": f"{share * 100:.0f}",
        }
        return Hit(
            key=f"{self.signal}:{transfer['id']}",
            organisation_id=transfer["pharmacy__organisation_id"],
            pharmacy_id=transfer["pharmacy_id"],
            params=params,
            evidence=json_safe(
                {
                    "transfer": {
                        "at": at,
                        "counterparty": transfer["counterparty"],
                        "reference": transfer["reference"],
                        "drug": transfer["drug__generic_name"],
                        "quantity": transfer["quantity"],
                    },
                    "settlements": [
                        {
                            "number": s["dispensing__number"],
                            "at": s["dispensing__dispensed_at"],
                            "quantity": s["quantity"],
                        }
                        for s in window[:50]
                    ],
                    "settled": sold,
                }
            ),
        )


def _t_pair(row: dict[str, Any]) -> tuple[int, int]:
    return row["pharmacy_id"], row["drug_id"]
