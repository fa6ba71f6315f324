"""追回 (GY-E04): fund paid out for misused dispensings, recorded against them and deducted in
the statement of the month it is booked (prescriptions.statements)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accreditation.models import Violation
from core.errors import DomainError, RuleViolation
from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing, DispensingStatus, FundRecovery

FEN = Decimal("0.01")


def fund_recovery_record(
    *,
    pharmacy: Pharmacy,
    dispensings: Sequence[Dispensing],
    amount: Decimal,
    reason: str,
    booked_on: date,
    actor: User,
    reference: str = "",
    violation: Violation | None = None,
) -> FundRecovery:
    """Record a recovery of fund against the pharmacy's dispensings it concerns: a positive
    amount to the fen, no more than the fund share they drew (less what was recovered already)."""
    if not reason.strip():
        raise DomainError(_("请写明追回事由。"), field="reason")
    if amount <= 0 or amount != amount.quantize(FEN):
        raise DomainError(_("追回金额须为大于零的金额，精确到分。"), field="amount")
    ids = {d.pk for d in dispensings}
    if not ids:
        raise DomainError(_("请选择追回涉及的结算记录。"), field="dispensings")
    with transaction.atomic():
        rows = list(Dispensing.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(rows) != len(ids) or any(d.pharmacy_id != pharmacy.pk for d in rows):
            raise DomainError(_("追回涉及的结算记录须属于该药店。"), field="dispensings")
        drawn = sum(
            (d.fund_share for d in rows if d.status != DispensingStatus.RETURNED), Decimal("0.00")
        )
        already = sum(
            (r.amount for r in FundRecovery.objects.filter(dispensings__in=ids).distinct()),
            Decimal("0.00"),
        )
        if amount > drawn - already:
            raise RuleViolation(
                "GY-E04",
                _("追回金额超过所涉结算的统筹基金支付额（可追回 %(left)s 元）。")
                % {"left": drawn - already},
                field="amount",
            )
        recovery = FundRecovery.objects.create(
            pharmacy=pharmacy,
            amount=amount,
            booked_on=booked_on,
            reason=reason,
            reference=reference[:60],
            violation=violation,
            recorded_by=actor,
        )
        recovery.dispensings.set(rows)
    return recovery
