"""The counter's quote: what a sale would come to before it is settled — each line priced,
the eligible total, the fund and personal shares, the quota left after it — and the first
refusal the settlement would give. It runs the very checks and split of `dispensing_submit`
(prescriptions.services.dispensing, booking, quota) and writes nothing; the traceability
codes are only counted and checked for form here (the ledger is asked at settlement)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from core.errors import DomainError, RuleViolation
from pharmacies.models import Pharmacy
from prescriptions.models import Prescription, PrescriptionItem
from prescriptions.selectors import CounterChecks, QuotaStatus, counter_items, counter_read
from prescriptions.selectors import quota_status as read_quota_status
from prescriptions.services.booking import ZERO, PricedLine, settlement_split
from prescriptions.services.common import LineInput
from prescriptions.services.dispensing import (
    _check_prescription,
    _eligibility,
    _priced_line,
    _scanned,
)
from prescriptions.services.quota import quota_assert_enough


@dataclass(frozen=True)
class QuoteLine:
    """One line as the pharmacist filled it: priced (`priced`) or refused (`refusal`), and how
    many codes were scanned for it."""

    item: PrescriptionItem | None
    quantity: int
    unit_price: Decimal
    scanned: int
    priced: PricedLine | None = None
    refusal: DomainError | None = None
    # The line's part of the sale's fund and personal shares (`_line_shares`).
    fund: Decimal | None = None
    personal: Decimal | None = None

    @property
    def amount(self) -> Decimal | None:
        return self.priced.amount if self.priced is not None else None

    @property
    def codes_complete(self) -> bool:
        return self.scanned == self.quantity


@dataclass(frozen=True)
class Quote:
    """The sale before it is settled. `refusal`: the first refusal the settlement would give
    (with its rule ID), None when the lines filled so far would settle."""

    lines: list[QuoteLine]
    total: Decimal = ZERO
    fund: Decimal = ZERO
    personal: Decimal = ZERO
    quota: QuotaStatus | None = None
    refusal: DomainError | None = None
    # The refusal is known before any line is filled in: the counter offers no form.
    blocked: bool = False

    @property
    def quota_left_after(self) -> Decimal | None:
        return None if self.quota is None else self.quota.remaining - self.total


def _quote_lines(
    prescription: Prescription, lines: list[LineInput], *, on: date
) -> list[QuoteLine]:
    """Each line through the settlement's own line check (`_priced_line`)."""
    items = {i.pk: i for i in counter_items(prescription=prescription, on=on)} if lines else {}
    quoted = []
    for line in lines:
        item = items.get(line.item_id)
        base = {
            "item": item,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "scanned": len(line.traceability_codes),
        }
        try:
            priced = _priced_line(
                line, item, disease=prescription.disease, programme=prescription.programme
            )
        except DomainError as refusal:
            quoted.append(QuoteLine(**base, refusal=refusal))  # type: ignore[arg-type]
        else:
            quoted.append(QuoteLine(**base, priced=priced))  # type: ignore[arg-type]
    return quoted


def _line_shares(lines: list[QuoteLine], total: Decimal, fund: Decimal) -> list[QuoteLine]:
    """The sale's fund share spread over its priced lines in proportion to their amounts, to
    the fen, the fen left by rounding down going to the largest remainders: the lines' fund
    shares add up to the sale's, and each line's personal share is the rest of its amount
    (the settlement splits the sale, GY-D03; a line's part is how the counter explains it)."""
    priced = [i for i, line in enumerate(lines) if line.amount is not None]
    if not priced or total <= 0:
        return lines
    cent = Decimal("0.01")
    exact = {i: fund * lines[i].amount / total for i in priced}  # type: ignore[operator]
    shares = {i: share.quantize(cent, rounding=ROUND_DOWN) for i, share in exact.items()}
    left = int((fund - sum(shares.values())) / cent)
    for i in sorted(priced, key=lambda i: (shares[i] - exact[i], i))[:left]:
        shares[i] += cent
    out = list(lines)
    for i in priced:
        amount = lines[i].amount
        assert amount is not None
        out[i] = replace(lines[i], fund=shares[i], personal=amount - shares[i])
    return out


def _checks(pharmacy: Pharmacy, prescription: Prescription, on: date) -> CounterChecks:
    """The counter's one read of the checks; the disease's fund share read with them, its
    programme the prescription's (the same rows: no further statement)."""
    read = counter_read(
        pharmacy=pharmacy, prescription_id=prescription.pk, on=on, idempotency_key=None
    )
    if read is None:
        raise Prescription.DoesNotExist
    disease = prescription.disease
    if disease is not None:
        if disease.programme_id == prescription.programme_id:
            disease.programme = prescription.programme
        known = getattr(read.prescription.disease, "fund_share_on", None)
        if known is not None:
            disease.fund_share_on = known  # type: ignore[attr-defined]
    return read.checks


def dispensing_quote(
    *,
    pharmacy: Pharmacy,
    prescription: Prescription,
    lines: list[LineInput],
    on: date,
    checks: CounterChecks | None = None,
) -> Quote:
    """What `dispensing_submit` would settle for these lines today, without writing: the
    refusals known before any line (designation HY-C06, programme in force HY-H01, benefit
    started HY-G07, chosen place HY-G05, hospital stay HY-G08, prescription GY-D02/GY-E02,
    quota used up HY-G07), then each line (HY-G10, HY-E02, GY-C02, HY-B02/GY-C01), the split
    (GY-D03), the quota (HY-G07) and the codes' count and form (HY-B03). No lines: the
    look-up's check."""
    if checks is None:
        checks = _checks(pharmacy, prescription, on)
    try:
        enrolment = _eligibility(
            checks=checks,
            programme=prescription.programme,
            patient=prescription.patient,
            disease=prescription.disease,
            on=on,
        )
        _check_prescription(prescription, checks=checks, on=on)
        quota = read_quota_status(enrolment=enrolment, on=on) if enrolment is not None else None
        if quota is not None:
            quota_assert_enough(quota=quota.quota, used=quota.used, amount=ZERO)
    except RuleViolation as early:
        return Quote(lines=[], refusal=early, blocked=True)
    quoted = _quote_lines(prescription, lines, on=on)
    priced = [line.priced for line in quoted if line.priced is not None]
    total = sum((line.amount for line in priced), ZERO)
    fund, personal = settlement_split(
        total,
        prescription.disease,
        programme=prescription.programme,
        patient=prescription.patient,
        on=on,
    )
    refusal = next((line.refusal for line in quoted if line.refusal is not None), None)
    try:
        if quota is not None:
            quota_assert_enough(quota=quota.quota, used=quota.used, amount=total)
        if refusal is None and priced:
            _scanned(priced)
    except RuleViolation as violation:
        refusal = refusal or violation
    return Quote(
        lines=_line_shares(quoted, total, fund),
        total=total,
        fund=fund,
        personal=personal,
        quota=quota,
        refusal=refusal,
    )
