"""Attempts: a counter rule that refuses also counts its refusals; many refusals of one kind
at one pharmacy in a month are a finding (supervision-rules.md), once per pharmacy and
month. SV-F02 swaps (HY-G10), SV-F05 purchases during a hospital stay (HY-G08), SV-F06
purchases beyond the entitlement or quota (HY-G07), SV-F13 prices above the cap (HY-B02 /
GY-C01). Threshold: `attempts` per pharmacy and month, programme data (the programme of the
refused prescriptions)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import refusal_counts_by_month, refusals_new
from supervision.models import FindingKind
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _month_start(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _threshold(scope: Scope, programme_id: int | None) -> int:
    return int(scope.parameters(programme_id).get("attempts", 2))


class AttemptsRule(Rule):
    refused: ClassVar[tuple[str, ...]]
    summary = gettext_noop("%(pharmacy)s %(month)s 被拒绝结算 %(n)s 次（%(rules)s）")
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, int]] = {"attempts": 2}

    def scan(self, scope: Scope) -> list[Hit]:
        rules = list(self.refused)
        new = refusals_new(rule_ids=rules, after_id=scope.after_id("refusal"), period=scope.period)
        if not new:
            return []
        scope.advance("refusal", new[-1]["id"])
        touched = {(r["pharmacy_id"], _month_start(r["refused_at"])) for r in new}
        counts = refusal_counts_by_month(
            rule_ids=rules,
            pharmacy_ids=sorted({p for p, _m in touched}),
            since=min(m for _p, m in touched),
            until=scope.period[1] if scope.period else None,
        )
        hits = []
        for group in counts:
            month = _month_start(group["month"])
            if (group["pharmacy_id"], month) not in touched:
                continue
            if group["n"] < _threshold(scope, group["programme"]):
                continue
            label = f"{month:%Y-%m}"
            hits.append(
                Hit(
                    key=f"{group['pharmacy_id']}:{label}",
                    organisation_id=group["pharmacy__organisation_id"],
                    pharmacy_id=group["pharmacy_id"],
                    params={
                        "pharmacy": group["pharmacy__organisation__name"],
                        "month": label,
                        "n": group["n"],
                        "rules": "、".join(rules),
                    },
                    evidence=json_safe(
                        {"month": label, "refusals": group["n"], "refused_under": rules}
                    ),
                )
            )
        return hits


@register
class SwapAttempts(AttemptsRule):
    rule_id = "SV-F02"
    description = _("串换：药店多次试图串换药品或结算目录外商品（HY-G10 拒绝）")
    refused = ("HY-G10",)


@register
class HospitalisedAttempts(AttemptsRule):
    rule_id = "SV-F05"
    description = _("冒名购药：患者住院期间多次试图购药（HY-G08 拒绝）")
    refused = ("HY-G08",)


@register
class OverSupplyAttempts(AttemptsRule):
    rule_id = "SV-F06"
    description = _("超量购药：多次超出待遇或额度试图购药（HY-G07 拒绝）")
    refused = ("HY-G07",)


@register
class PriceCapAttempts(AttemptsRule):
    rule_id = "SV-F13"
    description = _("价格：多次以高于限价的价格试图结算（HY-B02、GY-C01 拒绝）")
    refused = ("HY-B02", "GY-C01")
