"""Writes of the stock ledger: purchases, sales and other movements, imports, stocktakes."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from core.calendar import load_calendar
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.notifications import notification_send
from core.prepared import insert, prepared_cursor
from inventory import imports, staging
from inventory.files import sniff_spreadsheet
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    CODE_MAY_RETURN_KINDS,
    MANUAL_KINDS,
    MOVEMENT_SIGN,
    PURCHASE_IMPORT_TRANSITIONS,
    STOCKTAKE_TRANSITIONS,
    TRACEABILITY_CODE_RE,
    CounterpartyKind,
    Drug,
    Movement,
    MovementKind,
    PurchaseImport,
    PurchaseImportStatus,
    StockBatch,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeStatus,
    TraceabilityCode,
)
from inventory.selectors import (
    ledger_reconciliation,
    local_start,
    pharmacy_requires_approval_numbers,
)
from pharmacies.models import Pharmacy
from programmes.models import PeriodUnit, Programme
from supervision.models import FindingKind, FindingPriority
from supervision.services import finding_raise

logger = logging.getLogger(__name__)

# --- Movements ------------------------------------------------------------------------------


def _apply_deltas(deltas: dict[int, int]) -> None:
    """Lock the batches in id order (no deadlocks between concurrent bookings), then move
    stock with F(); refuse anything that would make a batch negative."""
    ids = sorted(deltas)
    locked = {
        b.pk: b for b in StockBatch.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    for batch_id in ids:
        delta = deltas[batch_id]
        batch = locked[batch_id]
        if batch.quantity + delta < 0:
            raise DomainError(
                _("%(batch)s 库存 %(stock)s，不足 %(need)s，不能出库。")
                % {"batch": batch, "stock": batch.quantity, "need": -delta}
            )
        StockBatch.objects.filter(pk=batch_id).update(quantity=F("quantity") + delta)


def _assert_may_stock(pharmacy: Pharmacy, drug: Drug, *, field: str | None = None) -> None:
    if drug.category not in APPROVAL_ONLY_ALLOWED and pharmacy_requires_approval_numbers(pharmacy):
        raise RuleViolation(
            "HY-B01",
            _("特门场所只能经营准字号药品（经批准的特殊食品除外），不得经营“%(category)s”。")
            % {"category": drug.get_category_display()},
            field=field,
        )


def stock_batch_get_or_create(
    *,
    pharmacy: Pharmacy,
    drug: Drug,
    batch_no: str,
    production_date: date | None,
    expiry_date: date | None,
) -> StockBatch:
    """The pharmacy's batch of a drug, created empty on first receipt (HY-B01 applies)."""
    _assert_may_stock(pharmacy, drug)
    batch, _created = StockBatch.objects.get_or_create(
        pharmacy=pharmacy,
        drug=drug,
        batch_no=batch_no,
        defaults={"production_date": production_date, "expiry_date": expiry_date},
    )
    return batch


def stock_movement_record(
    *,
    pharmacy: Pharmacy,
    batch: StockBatch,
    kind: str,
    quantity: int,
    occurred_at: datetime,
    actor: User | None,
    unit_price: Decimal | None = None,
    supplier: str = "",
    invoice_no: str = "",
    delivery_note_no: str = "",
    reference: str = "",
    traceability_codes: list[str] | None = None,
    counterparty_kind: str = "",
    counterparty: str = "",
    reason: str = "",
    returns_of: Movement | None = None,
    entered_by_hand: bool = False,
) -> Movement:
    """Book any movement (purchase, return, transfer, loss, …) of a positive quantity;
    stock never goes negative (HY-E06 ledger), HY-B01 for what comes in."""
    if quantity <= 0:
        raise DomainError(_("数量须为正整数。"))
    if batch.pharmacy_id != pharmacy.pk:
        raise DomainError(_("批次不属于本药店。"))
    sign = MOVEMENT_SIGN[kind]
    if sign > 0:
        _assert_may_stock(pharmacy, batch.drug)
    codes = list(traceability_codes or [])
    with transaction.atomic():
        _apply_deltas({batch.pk: sign * quantity})
        movement = Movement.objects.create(
            pharmacy=pharmacy,
            batch=batch,
            drug_id=batch.drug_id,
            kind=kind,
            quantity=sign * quantity,
            unit_price=unit_price,
            occurred_at=occurred_at,
            supplier=supplier,
            invoice_no=invoice_no,
            delivery_note_no=delivery_note_no,
            reference=reference,
            traceability_codes=codes,
            counterparty_kind=counterparty_kind,
            counterparty=counterparty,
            reason=reason,
            returns_of=returns_of,
            entered_by_hand=entered_by_hand,
            created_by=actor,
        )
        if kind == MovementKind.PURCHASE and codes:
            _register_codes(pharmacy, batch, movement, codes)
    return movement


def _register_codes(
    pharmacy: Pharmacy, batch: StockBatch, movement: Movement, codes: list[str]
) -> None:
    known = set(TraceabilityCode.objects.filter(code__in=codes).values_list("code", flat=True))
    if known or len(set(codes)) != len(codes):
        raise DomainError(_("追溯码重复：%s") % "、".join(sorted(known) or codes[:3]))
    TraceabilityCode.objects.bulk_create(
        TraceabilityCode(code=c, pharmacy=pharmacy, batch=batch, received_in=movement)
        for c in codes
    )


def stock_sale_book(
    *,
    pharmacy: Pharmacy,
    drug: Drug,
    quantity: int,
    unit_price: Decimal,
    traceability_codes: list[str],
    sold_at: datetime,
    actor: User | None,
    batch: StockBatch | int | None = None,
    reference: str = "",
    savepoint: bool = True,
) -> Movement:
    """Book a sale (dispensing or non-insurance) from `batch` (or its id; None: the
    earliest-expiring batch of the drug holding enough): one conditional UPDATE takes the
    stock, never below zero even under concurrency; each traceability code sold once, and
    never one that has left the pharmacy (transferred out, returned, lost, destroyed; HY-B03).
    `savepoint=False` for a caller whose transaction is rolled back on any error anyway (the
    dispensing)."""
    if isinstance(batch, StockBatch):
        if batch.drug_id != drug.pk:
            raise DomainError(_("批次与药品不一致。"))
        if batch.pharmacy_id != pharmacy.pk:
            raise DomainError(_("批次不属于本药店。"))
    if quantity <= 0:
        raise DomainError(_("数量须为正整数。"))
    codes = list(traceability_codes)
    if len(set(codes)) != len(codes):
        raise RuleViolation("HY-B03", _("追溯码重复扫描：%s") % "、".join(codes))
    with transaction.atomic(savepoint=savepoint):
        batch_id = _stock_take(
            pharmacy=pharmacy,
            drug=drug,
            batch_id=batch.pk if isinstance(batch, StockBatch) else batch,
            quantity=quantity,
        )
        # The ledger row, inserted with SQL built once (a sale is the hot path).
        (movement,) = insert(
            [
                Movement(
                    pharmacy=pharmacy,
                    batch_id=batch_id,
                    drug_id=drug.pk,
                    kind=MovementKind.SALE,
                    quantity=-quantity,
                    unit_price=unit_price,
                    occurred_at=sold_at,
                    reference=reference,
                    traceability_codes=codes,
                    created_by=actor,
                )
            ]
        )
        if codes:
            _codes_sell(pharmacy=pharmacy, batch_id=batch_id, movement=movement, codes=codes)
    return movement


_TAKE_FROM_BATCH = (
    f"UPDATE {StockBatch._meta.db_table} SET quantity = quantity - %(q)s"  # noqa: S608
    " WHERE id = %(b)s AND pharmacy_id = %(p)s AND drug_id = %(d)s AND quantity >= %(q)s"
    " RETURNING id"
)
_TAKE_EARLIEST = (
    f"UPDATE {StockBatch._meta.db_table} SET quantity = quantity - %(q)s"  # noqa: S608
    f" WHERE id = (SELECT id FROM {StockBatch._meta.db_table}"
    "  WHERE pharmacy_id = %(p)s AND drug_id = %(d)s AND quantity >= %(q)s"
    "  ORDER BY expiry_date, id LIMIT 1)"
    " AND quantity >= %(q)s RETURNING id"
)


def _stock_take(*, pharmacy: Pharmacy, drug: Drug, batch_id: int | None, quantity: int) -> int:
    """Decrement one batch by `quantity` if it holds that much; the row lock is taken by the
    UPDATE itself and a concurrent sale re-checks the quantity after waiting. Returns the
    batch id; refuses (nothing changed) otherwise."""
    params = {"q": quantity, "b": batch_id, "p": pharmacy.pk, "d": drug.pk}
    # The earliest batch may be emptied by another counter between the pick and the lock:
    # pick again (a few times) before saying there is not enough.
    for _attempt in range(1 if batch_id is not None else 3):
        with prepared_cursor() as cursor:
            cursor.execute(_TAKE_FROM_BATCH if batch_id is not None else _TAKE_EARLIEST, params)
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
    if batch_id is None:
        raise DomainError(_("%s 在本店进销存中库存不足。") % drug)
    batch = StockBatch.objects.filter(pk=batch_id).select_related("drug").first()
    if batch is None or batch.pharmacy_id != pharmacy.pk:
        raise DomainError(_("批次不属于本药店。"))
    if batch.drug_id != drug.pk:
        raise DomainError(_("批次与药品不一致。"))
    raise DomainError(
        _("%(batch)s 库存 %(stock)s，不足 %(need)s，不能出库。")
        % {"batch": batch, "stock": batch.quantity, "need": quantity}
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


def _codes_sell(*, pharmacy: Pharmacy, batch_id: int, movement: Movement, codes: list[str]) -> None:
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


def stock_sale_reverse(*, sale: Movement, actor: User | None, returned_at: datetime) -> Movement:
    """Book the return of a whole sale: the same batch back in stock and its traceability
    codes sellable again (HY-B03); used when a dispensing is returned."""
    with transaction.atomic():
        movement = stock_movement_record(
            pharmacy=sale.pharmacy,
            batch=sale.batch,
            kind=MovementKind.SALE_RETURN,
            quantity=-sale.quantity,
            occurred_at=returned_at,
            actor=actor,
            unit_price=sale.unit_price,
            reference=sale.reference,
            traceability_codes=list(sale.traceability_codes),
        )
        TraceabilityCode.objects.filter(
            code__in=list(sale.traceability_codes), sold_in=sale
        ).update(sold_in=None)
    return movement


# --- Movements recorded by hand (pages and API) ---------------------------------------------


@dataclass(frozen=True)
class NewBatch:
    """A batch received by transfer that the pharmacy has not held before."""

    drug: Drug
    batch_no: str
    production_date: date | None = None
    expiry_date: date | None = None


CODES = "traceability_codes"


def _check_code_format(codes: list[str], quantity: int) -> None:
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


def _codes_check_on_hand(batch: StockBatch, codes: list[str]) -> dict[str, TraceabilityCode]:
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


# A code that left by these kinds may arrive at another pharmacy; lost or destroyed ones not.
_CODE_MAY_RETURN = CODE_MAY_RETURN_KINDS


def _codes_check_receivable(codes: list[str]) -> dict[str, TraceabilityCode]:
    """Transfer in: a known code must have left its pharmacy by transfer or return (HY-B03)."""
    known = _codes_known(codes)
    for code in codes:
        row = known.get(code)
        if row is None:
            continue
        if row.sold_in_id is not None:
            raise RuleViolation("HY-B03", _("追溯码 %s 已售出，不能调入。") % code, field=CODES)
        if row.left_in is None or row.left_in.kind not in _CODE_MAY_RETURN:
            raise RuleViolation(
                "HY-B03",
                _("追溯码 %s 已在其他药店或批次登记（在库、报损或销毁），不能调入。") % code,
                field=CODES,
            )
    return known


def stock_closed_until(pharmacy: Pharmacy) -> datetime | None:
    """The latest count time of a submitted or accepted stocktake: the ledger up to it has
    been reconciled, so nothing may be booked at or before it (HY-E06)."""
    closed = Stocktake.objects.filter(
        pharmacy=pharmacy, status__in=[StocktakeStatus.SUBMITTED, StocktakeStatus.ACCEPTED]
    ).aggregate(until=Max("counted_at"))
    return closed["until"]


def _stocktakes_lock(pharmacy: Pharmacy) -> None:
    """Lock order stocktake → batch, as stocktake_submit/accept: a submission running now
    finishes first, and its count time is then seen by stock_closed_until (HY-E06)."""
    list(
        Stocktake.objects.select_for_update()
        .filter(pharmacy=pharmacy)
        .exclude(status=StocktakeStatus.ACCEPTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def stock_movement_enter(
    *,
    pharmacy: Pharmacy,
    kind: str,
    quantity: int,
    occurred_at: datetime,
    actor: User | None,
    batch: StockBatch | None = None,
    new_batch: NewBatch | None = None,
    sale: Movement | None = None,
    unit_price: Decimal | None = None,
    supplier: str = "",
    counterparty_kind: str = "",
    counterparty: str = "",
    reason: str = "",
    reference: str = "",
    traceability_codes: list[str] | None = None,
) -> Movement:
    """Record by hand a purchase return, cash sale, sale return, transfer in/out, loss or
    destruction (HY-E06 ledger): outgoing never beyond stock on hand, HY-B01 for what comes
    in, traceability codes checked and in one place at a time (HY-B03), nothing booked
    at or before a submitted stocktake's count time (HY-E06)."""
    if kind not in MANUAL_KINDS:
        raise DomainError(_("类型：不能手工登记该类型的出入库。"), field="kind")
    if quantity is None or quantity <= 0:
        raise DomainError(_("数量须为正整数。"), field="quantity")
    if unit_price is not None and unit_price < 0:
        raise DomainError(_("单价不能为负数。"), field="unit_price")
    now = timezone.now()
    if occurred_at > now:
        raise DomainError(_("发生时间不能晚于现在。"), field="occurred_at")
    supplier, counterparty = supplier.strip(), counterparty.strip()
    reason, reference = reason.strip(), reference.strip()
    codes = [c.strip() for c in traceability_codes or [] if c.strip()]
    _check_code_format(codes, quantity)
    if kind == MovementKind.PURCHASE_RETURN and not supplier:
        raise DomainError(_("采购退货须填写供货单位（退货对象）。"), field="supplier")
    if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        if counterparty_kind not in CounterpartyKind.values:
            raise DomainError(_("调拨须选择对方类型。"), field="counterparty_kind")
        if not counterparty:
            raise DomainError(_("调拨须填写对方单位。"), field="counterparty")
        if not reference:
            raise DomainError(_("调拨须填写调拨单号（HY-E06 留存调拨单）。"), field="reference")
    else:
        counterparty_kind = counterparty = ""
    if kind in (MovementKind.LOSS, MovementKind.DESTRUCTION) and not reason:
        raise DomainError(_("报损、销毁须填写原因。"), field="reason")
    if kind == MovementKind.SALE and unit_price is None:
        raise DomainError(_("销售须填写单价。"), field="unit_price")
    with transaction.atomic():
        _stocktakes_lock(pharmacy)
        closed = stock_closed_until(pharmacy)
        if closed is not None and occurred_at <= closed:
            raise RuleViolation(
                "HY-E06",
                _("发生时间须晚于已提交盘点的实盘时间 %s：此前的账目已盘点对账，不能补录。")
                % timezone.localtime(closed).strftime("%Y-%m-%d %H:%M"),
                field="occurred_at",
            )
        if kind == MovementKind.SALE_RETURN:
            return _sale_return_enter(
                pharmacy=pharmacy,
                sale=sale,
                quantity=quantity,
                occurred_at=occurred_at,
                actor=actor,
                unit_price=unit_price,
                reason=reason,
                reference=reference,
                codes=codes,
            )
        if kind == MovementKind.TRANSFER_IN and batch is None and new_batch is not None:
            if not new_batch.batch_no.strip():
                raise DomainError(_("调入新批次须填写批号。"), field="batch_no")
            _assert_may_stock(pharmacy, new_batch.drug, field="insurance_code")
            batch = stock_batch_get_or_create(
                pharmacy=pharmacy,
                drug=new_batch.drug,
                batch_no=new_batch.batch_no.strip(),
                production_date=new_batch.production_date,
                expiry_date=new_batch.expiry_date,
            )
        if batch is None:
            raise DomainError(_("请选择批次。"), field="batch")
        if batch.pharmacy_id != pharmacy.pk:
            raise DomainError(_("批次不属于本药店。"), field="batch")
        locked = StockBatch.objects.select_for_update().select_related("drug").get(pk=batch.pk)
        sign = MOVEMENT_SIGN[kind]
        if sign > 0:
            _assert_may_stock(pharmacy, locked.drug, field="batch")
        elif quantity > locked.quantity:
            raise DomainError(
                _("数量 %(qty)s 超过批次 %(batch)s 的库存 %(stock)s，不能出库。")
                % {"qty": quantity, "batch": locked, "stock": locked.quantity},
                field="quantity",
            )
        if kind == MovementKind.SALE:
            _codes_check_on_hand(locked, codes)
            assert unit_price is not None
            movement = stock_sale_book(
                pharmacy=pharmacy,
                drug=locked.drug,
                batch=locked,
                quantity=quantity,
                unit_price=unit_price,
                traceability_codes=codes,
                sold_at=occurred_at,
                actor=actor,
                reference=reference,
            )
            # A cash sale (no insurance settlement): its return is recorded here too.
            Movement.objects.filter(pk=movement.pk).update(entered_by_hand=True, reason=reason)
            movement.entered_by_hand, movement.reason = True, reason
            return movement
        known = _codes_check_on_hand(locked, codes) if sign < 0 else _codes_check_receivable(codes)
        movement = stock_movement_record(
            pharmacy=pharmacy,
            batch=locked,
            kind=kind,
            quantity=quantity,
            occurred_at=occurred_at,
            actor=actor,
            unit_price=unit_price,
            supplier=supplier,
            reference=reference,
            traceability_codes=codes,
            counterparty_kind=counterparty_kind,
            counterparty=counterparty,
            reason=reason,
            entered_by_hand=True,
        )
        if codes:
            if sign < 0:
                TraceabilityCode.objects.filter(code__in=list(known)).update(left_in=movement)
            else:
                # Codes that left another pharmacy by transfer or return move here.
                TraceabilityCode.objects.filter(code__in=list(known)).update(
                    pharmacy=pharmacy, batch=locked, received_in=movement, left_in=None
                )
            TraceabilityCode.objects.bulk_create(
                TraceabilityCode(
                    code=c,
                    pharmacy=pharmacy,
                    batch=locked,
                    received_in=movement if sign > 0 else None,
                    left_in=movement if sign < 0 else None,
                )
                for c in codes
                if c not in known
            )
    return movement


def _sale_return_enter(
    *,
    pharmacy: Pharmacy,
    sale: Movement | None,
    quantity: int,
    occurred_at: datetime,
    actor: User | None,
    unit_price: Decimal | None,
    reason: str,
    reference: str,
    codes: list[str],
) -> Movement:
    """A cash sale returned, wholly or partly: never more than sold less returned; its
    codes sellable again (HY-B03). Insurance sales are returned with their dispensing."""
    if sale is None:
        raise DomainError(_("销售退货须选择原销售记录。"), field="sale")
    # The sale row is the lock that keeps two returns from exceeding it together.
    original = (
        Movement.objects.select_for_update()
        .select_related("batch__drug")
        .filter(pk=sale.pk, pharmacy=pharmacy, kind=MovementKind.SALE)
        .first()
    )
    if original is None:
        raise DomainError(_("原销售记录不存在。"), field="sale")
    if not original.entered_by_hand:
        raise DomainError(
            _("医保结算的销售须在“购药结算记录”中办理退货，不能在此登记。"), field="sale"
        )
    if occurred_at < original.occurred_at:
        raise DomainError(_("退货时间不能早于原销售时间。"), field="occurred_at")
    returned = (
        Movement.objects.filter(returns_of=original).aggregate(total=Sum("quantity"))["total"] or 0
    )
    left = -original.quantity - returned
    if quantity > left:
        raise DomainError(
            _("数量 %(qty)s 超过原销售可退数量 %(left)s。") % {"qty": quantity, "left": left},
            field="quantity",
        )
    if original.traceability_codes and len(codes) != quantity:
        raise RuleViolation(
            "HY-B03",
            _("原销售扫描了追溯码：每退回一件须填写其追溯码（数量 %(qty)s，已填 %(n)s 个）。")
            % {"qty": quantity, "n": len(codes)},
            field=CODES,
        )
    still_sold = set(
        TraceabilityCode.objects.select_for_update()
        .filter(code__in=codes, sold_in=original)
        .values_list("code", flat=True)
    )
    for code in codes:
        if code not in still_sold:
            raise RuleViolation(
                "HY-B03", _("追溯码 %s 不在原销售记录中或已退回。") % code, field=CODES
            )
    _assert_may_stock(pharmacy, original.batch.drug, field="sale")
    movement = stock_movement_record(
        pharmacy=pharmacy,
        batch=original.batch,
        kind=MovementKind.SALE_RETURN,
        quantity=quantity,
        occurred_at=occurred_at,
        actor=actor,
        unit_price=original.unit_price if unit_price is None else unit_price,
        reference=reference or original.reference,
        traceability_codes=codes,
        reason=reason,
        returns_of=original,
        entered_by_hand=True,
    )
    TraceabilityCode.objects.filter(code__in=codes, sold_in=original).update(sold_in=None)
    return movement


# --- Imports -------------------------------------------------------------------------------


def purchase_import_create(
    *, pharmacy: Pharmacy, name: str, data: bytes, actor: User | None
) -> PurchaseImport:
    """Accept an uploaded purchase file for background import: size, real type, zip bomb,
    and the same file twice is recognised (GY-A06 ledger)."""
    file_format = sniff_spreadsheet(name, data)
    digest = hashlib.sha256(data).hexdigest()
    done = PurchaseImport.objects.filter(
        pharmacy=pharmacy, sha256=digest, status=PurchaseImportStatus.IMPORTED
    ).first()
    if done is not None:
        raise DomainError(
            _("该文件已于 %(when)s 导入过，不能重复导入。")
            % {"when": timezone.localtime(done.created_at).strftime("%Y-%m-%d %H:%M")}
        )
    with transaction.atomic():
        record = PurchaseImport(
            pharmacy=pharmacy,
            original_name=name[:200],
            file_format=file_format,
            sha256=digest,
            uploaded_by=actor,
        )
        record.file.save(f"{digest[:16]}.{file_format}", ContentFile(data), save=False)
        record.save()
        from inventory.tasks import purchase_import_run

        transaction.on_commit(lambda: purchase_import_run.delay(record.pk))
    return record


def _import_move(record: PurchaseImport, to: str, **fields: Any) -> None:
    if to not in PURCHASE_IMPORT_TRANSITIONS.get(record.status, frozenset()):
        raise TransitionNotAllowed(_("导入状态不能从“%s”变更。") % record.get_status_display())
    record.status = to
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=["status", *fields])


def purchase_import_process(*, purchase_import: PurchaseImport) -> PurchaseImport:
    """Validate every row, then import all rows in one transaction or none (GY-A06, HY-B01).

    The file is staged and checked set-based, and booked from the staging tables
    (inventory/staging.py)."""
    with transaction.atomic():
        record = PurchaseImport.objects.select_for_update().get(pk=purchase_import.pk)
        if record.status != PurchaseImportStatus.PENDING:
            return record  # already handled (a redelivered task)
        _import_move(
            record,
            PurchaseImportStatus.RUNNING,
            progress=1,
            heartbeat_at=timezone.now(),
            attempts=record.attempts + 1,
        )
    pharmacy = record.pharmacy
    attempt = record.attempts
    try:
        with record.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return _import_failed_because(record, "", _("上传的文件已不存在，请重新上传。"))

    def progress(pct: int) -> None:
        PurchaseImport.objects.filter(pk=record.pk, attempts=attempt).update(
            progress=max(pct, 1), heartbeat_at=timezone.now()
        )

    approval_only = pharmacy_requires_approval_numbers(pharmacy)
    window = imports.DateWindow.of(stock_closed_until(pharmacy))
    with staging.purchase_stage() as stage:
        result = _read_guarded(
            lambda: staging.stage_and_validate(
                stage,
                data,
                record.file_format,
                approval_only=approval_only,
                window=window,
                pharmacy_id=pharmacy.pk,
                progress=progress,
            )
        )
        if result.errors:
            return _import_failed(record, result)
        return _import_booked(
            record,
            lambda locked: stage.book(pharmacy_id=pharmacy.pk, import_id=locked.pk, actor_id=None),
            earliest=stage.earliest_purchase(),
        )


def _read_guarded(read: Any) -> imports.ValidationResult:
    """The file's validation; a file that cannot be read is reported, not retried forever."""
    try:
        return read()
    except DomainError as exc:
        result = imports.ValidationResult()
        result.errors.append({"row": 1, "column": "", "message": str(exc)})
    except Exception:
        result = imports.ValidationResult()
        result.errors.append({"row": 1, "column": "", "message": _("文件无法读取，请检查格式。")})
    return result


def _import_failed(record: PurchaseImport, result: imports.ValidationResult) -> PurchaseImport:
    with transaction.atomic():
        locked = PurchaseImport.objects.select_for_update().get(pk=record.pk)
        if locked.status != PurchaseImportStatus.RUNNING or locked.attempts != record.attempts:
            return locked  # another attempt has it now (purchase_imports_recover)
        _import_move(
            locked,
            PurchaseImportStatus.FAILED,
            errors=result.sorted_errors()[:1000],
            row_count=result.row_count,
            progress=100,
            finished_at=timezone.now(),
        )
    return locked


def purchase_imports_recover(*, now: datetime | None = None) -> dict[str, int]:
    """Imports whose worker died are found within minutes, not when the broker redelivers
    (an hour): a RUNNING import whose heartbeat is older than DINGDIAN_IMPORT_STALE_SECONDS
    goes back to the queue, or fails with a message after DINGDIAN_IMPORT_MAX_ATTEMPTS; a
    PENDING one that old is queued again (running an import twice is harmless: only the
    attempt holding the row books). Nothing of a dead attempt was booked: booking is one
    transaction."""
    from inventory.tasks import purchase_import_run

    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.DINGDIAN_IMPORT_STALE_SECONDS)
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        stalled = (
            PurchaseImport.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=PurchaseImportStatus.RUNNING, heartbeat_at__lt=stale_before)
                | Q(status=PurchaseImportStatus.PENDING, heartbeat_at__lt=stale_before)
                | Q(
                    status=PurchaseImportStatus.PENDING,
                    heartbeat_at=None,
                    created_at__lt=stale_before,
                )
            )
            .order_by("pk")
        )
        for record in stalled:
            if record.status == PurchaseImportStatus.PENDING:
                # For a queued import the heartbeat is when it was last queued.
                record.heartbeat_at = now
                record.save(update_fields=["heartbeat_at"])
                pk = record.pk
                transaction.on_commit(partial(purchase_import_run.delay, pk))
                counts["requeued"] += 1
            elif record.attempts >= settings.DINGDIAN_IMPORT_MAX_ATTEMPTS:
                _import_move(
                    record,
                    PurchaseImportStatus.FAILED,
                    errors=[
                        {
                            "row": 1,
                            "column": "",
                            "message": _(
                                "导入进程 %(n)s 次中断，本文件未导入任何行；请重新上传，"
                                "如仍中断请联系管理员。"
                            )
                            % {"n": record.attempts},
                        }
                    ],
                    progress=100,
                    finished_at=now,
                )
                counts["failed"] += 1
            else:
                _import_move(record, PurchaseImportStatus.PENDING, progress=0, heartbeat_at=now)
                pk = record.pk
                transaction.on_commit(partial(purchase_import_run.delay, pk))
                counts["requeued"] += 1
    return counts


def _import_booked(record: PurchaseImport, book: Any, *, earliest: date | None) -> PurchaseImport:
    """Book the rows unless the same file got imported meanwhile (all in one transaction).

    What changed since the file was checked refuses it whole, and the import says why: a
    stocktake submitted meanwhile (HY-E06), a code registered by another import at the same
    time (HY-B03)."""
    try:
        with transaction.atomic():
            locked = PurchaseImport.objects.select_for_update().get(pk=record.pk)
            if locked.status != PurchaseImportStatus.RUNNING or locked.attempts != record.attempts:
                # Taken from this worker as stalled (purchase_imports_recover) and given to
                # another attempt: only that one books, never both.
                return locked
            if PurchaseImport.objects.filter(
                pharmacy=locked.pharmacy,
                sha256=locked.sha256,
                status=PurchaseImportStatus.IMPORTED,
            ).exists():
                _import_move(
                    locked,
                    PurchaseImportStatus.FAILED,
                    errors=[{"row": 1, "column": "", "message": _("该文件已导入过")}],
                    progress=100,
                    finished_at=timezone.now(),
                )
                return locked
            _stocktakes_lock(locked.pharmacy)
            window = imports.DateWindow.of(stock_closed_until(locked.pharmacy))
            if earliest and window.closed_through and earliest <= window.closed_through:
                raise DomainError(  # the message names HY-E06
                    imports.message("closed_period", {"until": window.closed_label}),
                    field="purchase_date",
                )
            count = book(locked)
            _import_move(
                locked,
                PurchaseImportStatus.IMPORTED,
                row_count=count,
                progress=100,
                finished_at=timezone.now(),
            )
        return locked
    except DomainError as exc:
        column = "购进日期" if exc.field == "purchase_date" else ""
        return _import_failed_because(record, column, str(exc))
    except DatabaseError:
        logger.warning("purchase import %s: booking failed", record.pk, exc_info=True)
        return _import_failed_because(
            record,
            "",
            _(
                "入账时账目已被同时修改（例如追溯码刚被另一导入登记），本文件未导入任何行；"
                "请重新上传。"
            ),
        )


def _import_failed_because(record: PurchaseImport, column: str, message: str) -> PurchaseImport:
    result = imports.ValidationResult()
    result.errors.append({"row": 1, "column": column, "message": message})
    return _import_failed(record, result)


# --- Stocktakes -----------------------------------------------------------------------------


def _stocktake_move(
    stocktake: Stocktake, to: str, *, actor: User | None, reason: str = "", fields: list[str]
) -> None:
    if to not in STOCKTAKE_TRANSITIONS.get(stocktake.status, frozenset()):
        raise TransitionNotAllowed(
            _("盘点状态“%(old)s”不能变更为“%(new)s”。")
            % {"old": stocktake.get_status_display(), "new": StocktakeStatus(to).label}
        )
    old = stocktake.status
    stocktake.status = to
    stocktake.save(update_fields=["status", *fields])
    StocktakeEvent.objects.create(
        stocktake=stocktake,
        old_status=old,
        new_status=to,
        actor=actor,
        reason=reason,
        rule_id="HY-E06",
    )


def quarter_bounds(day: date) -> tuple[date, date]:
    """The calendar quarter containing `day`."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 2
    nxt = date(day.year + (end_month == 12), end_month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def period_bounds(day: date, unit: str) -> tuple[date, date]:
    """The calendar month or quarter (PeriodUnit) containing `day`."""
    if unit == PeriodUnit.MONTH:
        after = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return day.replace(day=1), after - timedelta(days=1)
    return quarter_bounds(day)


def stocktake_period_ended(programme: Programme, today: date) -> tuple[date, date] | None:
    """HY-E06: the stocktake period (the programme's month or quarter) that ended before the
    one containing `today`; None when the programme sets no stocktakes."""
    if not programme.stocktake_period or programme.stocktake_due_working_days is None:
        return None
    this_start, _end = period_bounds(today, programme.stocktake_period)
    period_end = this_start - timedelta(days=1)
    return period_bounds(period_end, programme.stocktake_period)[0], period_end


def stocktakes_open_for_period(
    *, programme: Programme, pharmacies: list[Pharmacy], today: date
) -> int:
    """HY-E06: at a period's start (quarter or month, as the programme sets), open the
    stocktake of the period just ended for each designated pharmacy (idempotent)."""
    period = stocktake_period_ended(programme, today)
    if period is None or programme.stocktake_due_working_days is None:
        return 0
    period_start, period_end = period
    due_on = load_calendar().add_working_days(period_end, programme.stocktake_due_working_days)
    created = 0
    for pharmacy in pharmacies:
        _obj, was_created = Stocktake.objects.get_or_create(
            pharmacy=pharmacy,
            programme=programme,
            period_start=period_start,
            defaults={
                "period_end": period_end,
                "due_on": due_on,
                "blind": programme.stocktake_blind,
            },
        )
        created += was_created
    return created


def _pharmacy_managers(pharmacy: Pharmacy) -> Any:
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            organisation=pharmacy.organisation,
            role=Role.PHARMACY_MANAGER,
            is_active=True,
        ).values("user_id"),
    )


def stocktakes_remind_and_escalate(*, today: date) -> tuple[int, int]:
    """HY-E06: remind pharmacies before a stocktake falls due; raise a finding when overdue."""
    calendar = load_calendar()
    reminded = escalated = 0
    now = timezone.now()
    for stocktake in Stocktake.objects.filter(status=StocktakeStatus.OPEN).select_related(
        "pharmacy__organisation", "programme"
    ):
        lead = stocktake.programme.stocktake_reminder_working_days or 0
        link = reverse("inventory:stocktake", args=[stocktake.pk])
        if today > stocktake.due_on:
            if stocktake.escalated_at is None:
                finding_raise(
                    rule_id="HY-E06",
                    organisation=stocktake.pharmacy.organisation,
                    pharmacy=stocktake.pharmacy,
                    kind=FindingKind.STOCKTAKE_OVERDUE,
                    priority=FindingPriority.NORMAL,
                    summary=_("%(pharmacy)s 逾期未报送 %(start)s 至 %(end)s 的盘点表")
                    % {
                        "pharmacy": stocktake.pharmacy.name,
                        "start": stocktake.period_start.isoformat(),
                        "end": stocktake.period_end.isoformat(),
                    },
                    dedupe_key=f"stocktake-overdue-{stocktake.pk}",
                    details={"stocktake": stocktake.pk, "due_on": stocktake.due_on.isoformat()},
                )
                # The pharmacy is told too: it is the one that must still submit.
                notification_send(
                    recipients=_pharmacy_managers(stocktake.pharmacy),
                    key=f"stocktake-overdue-{stocktake.pk}",
                    subject=_("季度盘点表已逾期未报送（截止日 %(due)s），已报医保部门核查")
                    % {"due": stocktake.due_on.isoformat()},
                    body=_("盘点期 %(start)s 至 %(end)s。请尽快完成盘点并上传实盘表。")
                    % {
                        "start": stocktake.period_start.isoformat(),
                        "end": stocktake.period_end.isoformat(),
                    },
                    link=link,
                    rule_id="HY-E06",
                )
                Stocktake.objects.filter(pk=stocktake.pk).update(escalated_at=now)
                escalated += 1
        elif calendar.working_days_between(today, stocktake.due_on) <= lead:
            sent = notification_send(
                recipients=_pharmacy_managers(stocktake.pharmacy),
                key=f"stocktake-reminder-{stocktake.pk}",
                subject=_("请于 %(due)s 前报送季度盘点表") % {"due": stocktake.due_on.isoformat()},
                body=_("盘点期 %(start)s 至 %(end)s。")
                % {
                    "start": stocktake.period_start.isoformat(),
                    "end": stocktake.period_end.isoformat(),
                },
                link=link,
                rule_id="HY-E06",
            )
            if stocktake.reminded_at is None:
                Stocktake.objects.filter(pk=stocktake.pk).update(reminded_at=now)
            reminded += bool(sent)
    return reminded, escalated


def stocktake_blind_set(
    *, stocktake: Stocktake, blind: bool, actor: User, reason: str = ""
) -> Stocktake:
    """HY-E06: the bureau chooses per stocktake whether the count sheet shows the system
    quantities or is blind (opened with the programme's default); only while it is open."""
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.OPEN:
            raise TransitionNotAllowed(_("盘点已提交，不能再更改盘底表方式。"))
        if locked.blind == blind:
            return locked
        locked.blind = blind
        locked.save(update_fields=["blind"])
        what = _("改为盲盘（盘底表不显示账面数量）") if blind else _("改为显示账面数量")
        StocktakeEvent.objects.create(
            stocktake=locked,
            old_status=locked.status,
            new_status=locked.status,
            actor=actor,
            reason=f"{what} {reason.strip()}".strip(),
            rule_id="HY-E06",
        )
        notification_send(
            recipients=_pharmacy_managers(locked.pharmacy),
            key=f"stocktake-blind-{locked.pk}-{timezone.now():%Y%m%d%H%M%S%f}",
            subject=_("季度盘点的盘底表已%(what)s，请重新下载") % {"what": what},
            body=str(locked),
            link=reverse("inventory:stocktake", args=[locked.pk]),
            rule_id="HY-E06",
        )
    return locked


def stocktake_submit(
    *,
    stocktake: Stocktake,
    counts: dict[int, tuple[int, str]],
    counted_at: datetime,
    actor: User | None,
    sheet: tuple[str, bytes] | None = None,
) -> Stocktake:
    """HY-E06: reconcile the count against the ledger up to the count time (stock that moves
    afterwards is not lost), require reasons beyond tolerance, flag an imbalance for priority
    inspection."""
    with transaction.atomic():
        locked = (
            Stocktake.objects.select_for_update()
            .select_related("programme", "pharmacy__organisation")
            .get(pk=stocktake.pk)
        )
        if locked.status != StocktakeStatus.OPEN:
            raise TransitionNotAllowed(_("该盘点已提交，不能再次提交。"))
        now = timezone.now()
        if counted_at > now:
            raise DomainError(_("实盘时间不能晚于现在。"))
        if counted_at < local_start(locked.period_end + timedelta(days=1)):
            raise DomainError(_("实盘时间须在盘点期结束之后。"))
        ledger = ledger_reconciliation(
            pharmacy=locked.pharmacy, period_start=locked.period_start, until=counted_at
        )
        own = set(
            StockBatch.objects.filter(pharmacy=locked.pharmacy, pk__in=counts).values_list(
                "pk", flat=True
            )
        )
        unknown = set(counts) - own
        if unknown:
            raise DomainError(_("盘点表中有不属于本店的批次：%s") % sorted(unknown))
        tolerance = locked.programme.stocktake_tolerance_units or 0
        missing: list[int] = []
        needs_reason: list[str] = []
        lines = []
        batches = StockBatch.objects.in_bulk(set(ledger) | set(counts))
        for batch_id in sorted(set(ledger) | set(counts)):
            values = ledger.get(batch_id) or {"expected": 0}
            if batch_id not in counts:
                if values["expected"]:
                    missing.append(batch_id)
                continue
            counted, reason = counts[batch_id]
            if counted < 0:
                raise DomainError(_("实盘数量不能为负数。"))
            difference = counted - values["expected"]
            if abs(difference) > tolerance and not reason.strip():
                needs_reason.append(str(batches[batch_id]))
            lines.append(
                StocktakeLine(
                    stocktake=locked,
                    batch_id=batch_id,
                    counted=counted,
                    difference=difference,
                    reason=reason.strip()[:200],
                    opening=values.get("opening", 0),
                    **{k: v for k, v in values.items() if k not in ("opening", "counted")},
                )
            )
        if missing:
            raise DomainError(
                _("以下批次有账面库存但未填写实盘数量：%s")
                % "、".join(str(batches[b]) for b in missing)
            )
        if needs_reason:
            raise RuleViolation(
                "HY-E06",
                _("差异超过允许范围（%(tol)s）须说明原因：%(items)s")
                % {"tol": tolerance, "items": "、".join(needs_reason)},
            )
        StocktakeLine.objects.filter(stocktake=locked).delete()
        StocktakeLine.objects.bulk_create(lines)
        imbalanced = [line for line in lines if abs(line.difference) > tolerance]
        locked.is_imbalanced = bool(imbalanced)
        locked.counted_at = counted_at
        locked.submitted_at = now
        fields = ["is_imbalanced", "counted_at", "submitted_at"]
        if sheet is not None:
            locked.sheet.save(sheet[0], ContentFile(sheet[1]), save=False)
            fields.append("sheet")
        _stocktake_move(locked, StocktakeStatus.SUBMITTED, actor=actor, fields=fields)
        if imbalanced:
            finding_raise(
                rule_id="HY-E06",
                organisation=locked.pharmacy.organisation,
                pharmacy=locked.pharmacy,
                kind=FindingKind.STOCK_IMBALANCE,
                priority=FindingPriority.PRIORITY_INSPECTION,
                summary=_("%(pharmacy)s 进销存不平衡：%(n)s 个批次账实不符")
                % {"pharmacy": locked.pharmacy.name, "n": len(imbalanced)},
                dedupe_key=f"stocktake-imbalance-{locked.pk}-{now:%Y%m%d%H%M%S}",
                details={
                    "stocktake": locked.pk,
                    "lines": [
                        {
                            "batch": str(batches[line.batch_id]),
                            "expected": line.expected,
                            "counted": line.counted,
                            "difference": line.difference,
                            "reason": line.reason,
                        }
                        for line in imbalanced
                    ],
                },
                actor=actor,
            )
    return locked


def stocktake_accept(*, stocktake: Stocktake, actor: User, reason: str = "") -> Stocktake:
    """HY-E06: the bureau accepts a submitted stocktake; differences are booked as
    stocktake gains/losses at the count time."""
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.SUBMITTED:
            raise TransitionNotAllowed(_("只有已提交的盘点可以审核。"))
        assert locked.counted_at is not None
        lines = list(locked.lines.exclude(difference=0).select_related("batch__drug"))
        for line in lines:
            kind = (
                MovementKind.STOCKTAKE_GAIN if line.difference > 0 else MovementKind.STOCKTAKE_LOSS
            )
            stock_movement_record(
                pharmacy=locked.pharmacy,
                batch=line.batch,
                kind=kind,
                quantity=abs(line.difference),
                occurred_at=locked.counted_at,
                actor=actor,
                reference=f"ST{locked.pk}",
            )
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        _stocktake_move(
            locked,
            StocktakeStatus.ACCEPTED,
            actor=actor,
            reason=reason,
            fields=["reviewed_at", "reviewed_by"],
        )
    return locked


def stocktake_return(*, stocktake: Stocktake, actor: User, reason: str) -> Stocktake:
    """HY-E06: the bureau returns a submitted stocktake for a recount (reason required)."""
    if not reason.strip():
        raise DomainError(_("退回须说明原因。"))
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        locked.lines.all().delete()
        _stocktake_move(locked, StocktakeStatus.OPEN, actor=actor, reason=reason, fields=[])
    return locked


# --- Catalogue ------------------------------------------------------------------------------


def drug_catalogue_import(
    *, name: str, data: bytes, programmes: list[Programme], actor: User
) -> list[dict[str, Any]]:
    """Import catalogue rows (approval-number format, HY-A09 basic-drug flags per disease,
    price caps with source and date); all rows or none; returns the errors, empty on success."""
    from inventory.catalogue import validate_catalogue
    from inventory.models import DiseaseDrug, PriceCap
    from programmes.models import Disease

    file_format = sniff_spreadsheet(name, data)
    diseases = {d.code: d for d in Disease.objects.filter(programme__in=programmes)}
    result = validate_catalogue(data, file_format, disease_codes=set(diseases))
    if result.errors:
        return result.errors
    with transaction.atomic():
        for row in result.rows:
            code = row.values.pop("insurance_code")
            drug = Drug.objects.filter(insurance_code=code).first() or Drug(insurance_code=code)
            for key, value in row.values.items():
                setattr(drug, key, value)
            drug._history_user = actor  # type: ignore[attr-defined]
            drug._change_reason = _("目录导入：%s") % name  # type: ignore[attr-defined]
            drug.save()
            for disease_code in row.scope:
                DiseaseDrug.objects.update_or_create(
                    disease=diseases[disease_code],
                    drug=drug,
                    defaults={"is_basic_drug": disease_code in row.basic},
                )
            if result.scope_given:
                # The row's diseases are the drug's whole scope in the importing programmes
                # (a disease left out is taken out, with history; others stay).
                for link in DiseaseDrug.objects.filter(
                    drug=drug, disease__in=diseases.values()
                ).exclude(disease__code__in=row.scope):
                    link._history_user = actor  # type: ignore[attr-defined]
                    link._change_reason = _("目录导入：%s") % name  # type: ignore[attr-defined]
                    link.delete()
            for basis, price in row.prices.items():
                assert row.price_date is not None
                PriceCap.objects.update_or_create(
                    drug=drug,
                    basis=basis,
                    effective_on=row.price_date,
                    defaults={"price": price, "source": row.price_source},
                )
    return []


def drug_scope_set(
    *,
    drug: Drug,
    diseases: list[Any],
    scope: dict[int, bool],
    actor: User,
    reason: str,
) -> int:
    """Bureau edit of the diseases (of `diseases`, the editor's programmes) the drug may be
    dispensed for, and those it is a basic drug of (HY-A09): `scope` maps a disease id to
    its basic-drug flag. Other programmes' diseases are left alone; history keeps who, when
    and why. Returns how many links changed."""
    from inventory.models import DiseaseDrug

    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    changed = 0
    with transaction.atomic():
        Drug.objects.select_for_update().filter(pk=drug.pk).first()
        links = {
            link.disease_id: link
            for link in DiseaseDrug.objects.filter(drug=drug, disease__in=diseases)
        }
        for disease in diseases:
            link, basic = links.get(disease.pk), scope.get(disease.pk)
            if link is not None and basic is not None and link.is_basic_drug == basic:
                continue
            if link is None and basic is None:
                continue
            if link is None:
                link = DiseaseDrug(disease=disease, drug=drug)
            link._history_user = actor  # type: ignore[attr-defined]
            link._change_reason = reason  # type: ignore[attr-defined]
            if basic is None:
                link.delete()
            else:
                link.is_basic_drug = basic
                link.save()
            changed += 1
    return changed


def price_cap_set(
    *,
    drug: Drug,
    basis: str,
    price: Decimal,
    source: str,
    effective_on: date,
    actor: User,
    reason: str,
) -> Any:
    """Bureau entry of a listed price that caps sale prices from `effective_on` (HY-B02 /
    GY-C01), with its source; the same basis and date again corrects it. History keeps who,
    when and why."""
    from inventory.models import PriceCap

    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    with transaction.atomic():
        cap = PriceCap.objects.select_for_update().filter(
            drug=drug, basis=basis, effective_on=effective_on
        ).first() or PriceCap(drug=drug, basis=basis, effective_on=effective_on)
        cap.price, cap.source = price, source
        cap.full_clean()
        cap._history_user = actor  # type: ignore[attr-defined]
        cap._change_reason = reason  # type: ignore[attr-defined]
        cap.save()
    return cap


def drug_update(*, drug: Drug, changes: dict[str, Any], actor: User, reason: str) -> Drug:
    """Bureau edit of a catalogue entry; history keeps who, when and why."""
    with transaction.atomic():
        locked = Drug.objects.select_for_update().get(pk=drug.pk)
        for key, value in changes.items():
            setattr(locked, key, value)
        locked.full_clean()
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = reason  # type: ignore[attr-defined]
        locked.save()
    return locked
