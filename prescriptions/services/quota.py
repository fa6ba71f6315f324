"""The quota ledger (HY-G07): one account per enrolment and quota period, taken from by a
sale and given back by its return, each change an append-only event row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation
from core.prepared import insert, prepared_cursor
from patients.models import Enrolment
from prescriptions.models import Dispensing, QuotaAccount, QuotaEvent, QuotaEventKind
from prescriptions.selectors import quota_and_standard, quota_period_bounds
from programmes.models import Programme

# Take the amount only while that much is left: one conditional UPDATE locks the row and
# re-checks (a second counter waits, then re-checks).
_TAKE = (
    f"UPDATE {QuotaAccount._meta.db_table} SET used = used + %s"  # noqa: S608
    " WHERE enrolment_id = %s AND period_start = %s AND used + %s <= quota RETURNING id"
)


def _quota_account(enrolment: Enrolment, programme: Programme, on: date) -> QuotaAccount:
    start, end = quota_period_bounds(programme=programme, on=on)
    account = (
        QuotaAccount.objects.select_for_update()
        .filter(enrolment=enrolment, period_start=start)
        .first()
    )
    if account is not None:
        return account
    # First purchase of the period: create the account (a concurrent first purchase waits on
    # the unique index and then finds it), then lock it.
    quota, standard = quota_and_standard(enrolment=enrolment, start=start, end=end)
    account, _created = QuotaAccount.objects.get_or_create(
        enrolment=enrolment,
        period_start=start,
        defaults={"period_end": end, "quota": quota, "standard": standard},
    )
    return QuotaAccount.objects.select_for_update().get(pk=account.pk)


def quota_assert_enough(*, quota: Decimal, used: Decimal, amount: Decimal) -> None:
    """HY-G07: the period's quota takes `amount` (nothing left: refused before any line is
    filled in, `amount` 0). The sale's booking and the counter's quote both ask it."""
    if used >= quota:
        raise RuleViolation(
            "HY-G07",
            _("本期特门额度 %(quota)s 元已用完（已用 %(used)s 元），本期不能再结算特门购药。")
            % {"quota": quota, "used": used},
        )
    if used + amount > quota:
        raise RuleViolation(
            "HY-G07",
            _(
                "本季度特门额度 %(quota)s 元，已用 %(used)s 元，剩余 %(left)s 元，"
                "本次 %(amount)s 元超出额度。"
            )
            % {"quota": quota, "used": used, "left": quota - used, "amount": amount},
        )


def quota_use(
    *,
    enrolment: Enrolment,
    programme: Programme,
    dispensing: Dispensing,
    amount: Decimal,
    actor: User,
    on: date,
) -> None:
    """HY-G07: take the amount from the period's account in one conditional UPDATE; refuse
    beyond the standard; event row. Runs in the sale's transaction."""
    start, _end = quota_period_bounds(programme=programme, on=on)
    with prepared_cursor() as cursor:
        cursor.execute(_TAKE, [amount, enrolment.pk, start, amount])
        row = cursor.fetchone()
    if row is None:
        # No account yet (first purchase of the period: create it) or not enough left.
        account = _quota_account(enrolment, programme, on)
        quota_assert_enough(quota=account.quota, used=account.used, amount=amount)
        QuotaAccount.objects.filter(pk=account.pk).update(used=F("used") + amount)
        row = (account.pk,)
    insert(
        [
            QuotaEvent(
                account_id=row[0],
                dispensing=dispensing,
                kind=QuotaEventKind.USE,
                amount=amount,
                actor=actor,
            )
        ]
    )


def quota_give_back(*, dispensing: Dispensing, actor: User) -> None:
    """A returned sale gives its total back to the account of its own period (not today's);
    event row. Runs in the return's transaction."""
    if dispensing.enrolment_id is None or dispensing.quota_period_start is None:
        return
    account = QuotaAccount.objects.select_for_update().get(
        enrolment_id=dispensing.enrolment_id, period_start=dispensing.quota_period_start
    )
    QuotaAccount.objects.filter(pk=account.pk).update(used=F("used") - dispensing.total)
    QuotaEvent.objects.create(
        account=account,
        dispensing=dispensing,
        kind=QuotaEventKind.REVERSE,
        amount=-dispensing.total,
        actor=actor,
    )
