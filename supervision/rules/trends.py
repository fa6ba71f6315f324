"""SV-F11 年底突击刷卡 (year-end rush): a pharmacy's December fund settlements above its
monthly mean plus `sigmas` standard deviations of the months before (from its first month
with sales, empty months counted as zero; at least `min_months` of them), once per pharmacy,
programme and year. Thresholds are programme data."""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from statistics import mean, pstdev
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from prescriptions.oversight import december_groups_new, monthly_fund_totals
from supervision.models import FindingKind
from supervision.rules.base import Hit, Rule, Scope, json_safe, register


def _series(rows: list[dict[str, Any]]) -> dict[int, Decimal]:
    return {row["month"].month: Decimal(row["fund"] or 0) for row in rows}


@register
class YearEndRush(Rule):
    rule_id = "SV-F11"
    description = _("年底突击刷卡：12 月统筹基金结算额高于本店此前月均值加若干倍标准差")
    summary = gettext_noop(
        "%(pharmacy)s %(year)s 年 12 月统筹结算 %(december)s 元，"
        "高于此前月均 %(mean)s 元加 %(sigmas)s 倍标准差（%(limit)s 元）"
    )
    kind = FindingKind.DISPENSING
    defaults: ClassVar[dict[str, int]] = {"sigmas": 3, "min_months": 6}

    def scan(self, scope: Scope) -> list[Hit]:
        last, groups = december_groups_new(
            after_id=scope.after_id("dispensing"), period=scope.period
        )
        scope.advance("dispensing", last)
        hits: list[Hit] = []
        for year in sorted({g[2] for g in groups}):
            wanted = {(g[0], g[1]) for g in groups if g[2] == year}
            rows = monthly_fund_totals(pharmacy_ids=sorted({p for p, _q in wanted}), year=year)
            for key, group in groupby(rows, key=lambda r: (r["pharmacy_id"], r["programme_id"])):
                if key in wanted:
                    hit = self._judge(scope, year, list(group))
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _judge(self, scope: Scope, year: int, rows: list[dict[str, Any]]) -> Hit | None:
        first = rows[0]
        series = _series(rows)
        limits = scope.parameters(first["programme_id"])
        before = [series.get(m, Decimal(0)) for m in range(min(series), 12)]
        if 12 not in series or len(before) < int(limits["min_months"]):
            return None
        sigmas = Decimal(str(limits["sigmas"]))
        average, spread = mean(before), pstdev(before)
        limit = (average + sigmas * spread).quantize(Decimal("0.01"))
        december = series[12]
        if december <= limit:
            return None
        return Hit(
            key=f"{first['pharmacy_id']}:{first['programme_id']}:{year}",
            organisation_id=first["pharmacy__organisation_id"],
            pharmacy_id=first["pharmacy_id"],
            params={
                "pharmacy": first["pharmacy__organisation__name"],
                "year": year,
                "december": f"{december:.2f}",
                "mean": f"{average:.2f}",
                "sigmas": limits["sigmas"],
                "limit": f"{limit:.2f}",
            },
            evidence=json_safe(
                {
                    "year": year,
                    "monthly_fund": {
                        f"{year}-{m:02d}": series.get(m, Decimal(0)) for m in range(min(series), 13)
                    },
                    "mean": average.quantize(Decimal("0.01")),
                    "stdev": spread.quantize(Decimal("0.01")),
                    "limit": limit,
                    "december": december,
                }
            ),
        )
