"""Traceability codes (追溯码): the format, the register, and what a code may do next."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import DomainError, RuleViolation
from core.prepared import prepared_cursor
from inventory.models import (
    CODE_MAY_RETURN_KINDS,
    TRACEABILITY_CODE_RE,
    Movement,
    StockBatch,
    TraceabilityCode,
)
from pharmacies.models import Pharmacy


def register_codes(
    pharmacy: Pharmacy, batch: StockBatch, movement: Movement, codes: list[str]
) -> None:
    known = set(TraceabilityCode.objects.filter(code__in=codes).values_list("code", flat=True))
    if known or len(set(codes)) != len(codes):
        raise DomainError(_("追溯码重复：%s") % "、".join(sorted(known) or codes[:3]))
    TraceabilityCode.objects.bulk_create(
        TraceabilityCode(code=c, pharmacy=pharmacy, batch=batch, received_in=movement)
        for c in codes
    )


# Codes of the batch not yet sold and still here (not transferred out, returned to the
# supplier, lost or destroyed: `left_in`) are marked sold; codes never received (the
# pharmacy did not register them on purchase) are recorded as sold now. Whatever is missing
# from the result was sold already, has left the pharmacy, belongs to another batch, or is
# being sold by another counter (the unique index makes that insert wait and then skip it).
_SELL_CODES = (
    "WITH sold AS ("  # noqa: S608
    f" UPDATE {TraceabilityCode._meta.db_table} SET sold_in_id = %(m)s"
    "  WHERE code = ANY(%(codes)s) AND batch_id = %(b)s AND sold_in_id IS NULL"
    "  AND left_in_id IS NULL"
    "  RETURNING code"
    "), recorded AS ("
    f" INSERT INTO {TraceabilityCode._meta.db_table} (code, pharmacy_id, batch_id, sold_in_id)"
    "  SELECT c, %(p)s, %(b)s, %(m)s FROM unnest(%(codes)s::varchar[]) AS c"
    f"  WHERE NOT EXISTS (SELECT 1 FROM {TraceabilityCode._meta.db_table} t WHERE t.code = c)"
    "  ON CONFLICT (code) DO NOTHING RETURNING code"
    ") SELECT code FROM sold UNION ALL SELECT code FROM recorded"
)


def codes_sell(*, pharmacy: Pharmacy, batch_id: int, movement: Movement, codes: list[str]) -> None:
    """HY-B03: each traceability code is sold once, from the batch it was received in."""
    with prepared_cursor() as cursor:
        cursor.execute(
            _SELL_CODES, {"m": movement.pk, "codes": codes, "b": batch_id, "p": pharmacy.pk}
        )
        done = {code for (code,) in cursor.fetchall()}
    refused = next((c for c in codes if c not in done), None)
    if refused is not None:
        gone = TraceabilityCode.objects.filter(
            code=refused, pharmacy=pharmacy, sold_in__isnull=True, left_in__isnull=False
        ).exists()
        if gone:
            raise RuleViolation(
                "HY-B03",
                _("追溯码 %s 已调出、退货、报损或销毁，不在本店库存中，不能销售。") % refused,
            )
        raise RuleViolation("HY-B03", _("追溯码 %s 已售出或不属于该批次。") % refused)


CODES = "traceability_codes"


def check_code_format(codes: list[str], quantity: int) -> None:
    seen: set[str] = set()
    for code in codes:
        if not TRACEABILITY_CODE_RE.fullmatch(code):
            raise RuleViolation(
                "HY-B03", _("追溯码 %s 格式不正确（应为 20 位数字）。") % code, field=CODES
            )
        if code in seen:
            raise RuleViolation("HY-B03", _("追溯码 %s 重复。") % code, field=CODES)
        seen.add(code)
    if len(codes) > quantity:
        raise RuleViolation(
            "HY-B03",
            _("追溯码个数（%(n)s）多于数量（%(qty)s）。") % {"n": len(codes), "qty": quantity},
            field=CODES,
        )


def _codes_known(codes: list[str]) -> dict[str, TraceabilityCode]:
    if not codes:
        return {}
    rows = (
        TraceabilityCode.objects.select_for_update(of=("self",))
        .filter(code__in=codes)
        .order_by("pk")
    )
    return {c.code: c for c in rows.select_related("left_in")}


def codes_check_on_hand(batch: StockBatch, codes: list[str]) -> dict[str, TraceabilityCode]:
    """Outgoing: a known code must be in this batch, not sold and not gone (HY-B03)."""
    known = _codes_known(codes)
    for code in codes:
        row = known.get(code)
        if row is None:
            continue  # received before codes were recorded: registered as it leaves
        if row.sold_in_id is not None:
            raise RuleViolation("HY-B03", _("追溯码 %s 已售出。") % code, field=CODES)
        if row.left_in_id is not None or row.batch_id != batch.pk:
            raise RuleViolation(
                "HY-B03",
                _("追溯码 %s 不在该批次库存中（属于其他批次或药店，或已调出、退货、报损）。")
                % code,
                field=CODES,
            )
    return known


def codes_check_receivable(codes: list[str]) -> dict[str, TraceabilityCode]:
    """Transfer in: a known code must have left its pharmacy by transfer or return (HY-B03)."""
    known = _codes_known(codes)
    for code in codes:
        row = known.get(code)
        if row is None:
            continue
        if row.sold_in_id is not None:
            raise RuleViolation("HY-B03", _("追溯码 %s 已售出，不能调入。") % code, field=CODES)
        if row.left_in is None or row.left_in.kind not in CODE_MAY_RETURN_KINDS:
            raise RuleViolation(
                "HY-B03",
                _("追溯码 %s 已在其他药店或批次登记（在库、报损或销毁），不能调入。") % code,
                field=CODES,
            )
    return known
