"""GY-D03: the monthly fund statement of each pharmacy — the fund share settled in the month,
less returns booked in the month, less payment refusals decided in the month (HY-E10, each
named by its decision) and fund recoveries booked in the month (追回, GY-E04, each against the
dispensings it concerns). Amounts are Decimal to the fen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from accreditation.models import Violation
from accreditation.selectors import payment_refusals
from core.calendar import add_months
from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing, DispensingStatus, FundRecovery

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class StatementLine:
    pharmacy: Pharmacy
    settled_count: int
    settled_fund: Decimal
    returned_count: int
    returned_fund: Decimal
    refusals: list[Violation] = field(default_factory=list)
    recoveries: list[FundRecovery] = field(default_factory=list)

    @property
    def refused_fund(self) -> Decimal:
        return sum((v.refused_amount or ZERO for v in self.refusals), ZERO)

    @property
    def recovered_fund(self) -> Decimal:
        return sum((r.amount for r in self.recoveries), ZERO)

    @property
    def fund_owed(self) -> Decimal:
        return self.settled_fund - self.returned_fund - self.refused_fund - self.recovered_fund


def _by_pharmacy(qs: QuerySet[Dispensing]) -> dict[int, tuple[int, Decimal]]:
    """Per pharmacy: how many dispensings and their fund share."""
    rows = qs.values("pharmacy").annotate(n=Count("id"), fund=Sum("fund_share"))
    return {row["pharmacy"]: (row["n"] or 0, row["fund"] or ZERO) for row in rows}


def fund_statement(*, pharmacies: QuerySet[Pharmacy], month: date) -> list[StatementLine]:
    """GY-D03: the fund share owed to each pharmacy for a month — settled in the month, less
    returns booked in the month (a return in a later month is deducted then), less refusals
    decided and recoveries booked in the month."""
    start = month.replace(day=1)
    end = add_months(start, 1)
    rows = list(pharmacies.select_related("organisation").order_by("organisation__name"))
    ids = [p.pk for p in rows]
    settled = _by_pharmacy(
        Dispensing.objects.filter(
            pharmacy__in=ids, dispensed_at__date__gte=start, dispensed_at__date__lt=end
        )
    )
    returned = _by_pharmacy(
        Dispensing.objects.filter(
            pharmacy__in=ids,
            status=DispensingStatus.RETURNED,
            returned_at__date__gte=start,
            returned_at__date__lt=end,
        )
    )
    refusals: dict[int, list[Violation]] = {}
    for v in payment_refusals(pharmacy_ids=ids, start=start, end=end):
        refusals.setdefault(v.pharmacy_id, []).append(v)
    recoveries: dict[int, list[FundRecovery]] = {}
    for recovery in (
        FundRecovery.objects.filter(pharmacy__in=ids, booked_on__gte=start, booked_on__lt=end)
        .select_related("violation")
        .prefetch_related("dispensings")
    ):
        recoveries.setdefault(recovery.pharmacy_id, []).append(recovery)
    lines = []
    for pharmacy in rows:
        s = settled.get(pharmacy.pk)
        r = returned.get(pharmacy.pk)
        if not (s or r or pharmacy.pk in refusals or pharmacy.pk in recoveries):
            continue
        lines.append(
            StatementLine(
                pharmacy=pharmacy,
                settled_count=s[0] if s else 0,
                settled_fund=s[1] if s else ZERO,
                returned_count=r[0] if r else 0,
                returned_fund=r[1] if r else ZERO,
                refusals=refusals.get(pharmacy.pk, []),
                recoveries=recoveries.get(pharmacy.pk, []),
            )
        )
    return lines
