"""The stock ledger: batches, movements, counter sales and their returns, movements entered
by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, RuleViolation
from core.prepared import insert, prepared_cursor
from core.validators import EARLIEST_DATE
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    MANUAL_KINDS,
    MOVEMENT_SIGN,
    CounterpartyKind,
    Drug,
    Movement,
    MovementKind,
    StockBatch,
    Stocktake,
    StocktakeStatus,
    TraceabilityCode,
)
from inventory.selectors import (
    pharmacy_requires_approval_numbers,
)
from inventory.services.codes import (
    CODES,
    check_code_format,
    codes_check_on_hand,
    codes_check_receivable,
    codes_sell,
    register_codes,
)
from pharmacies.models import Pharmacy

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
            register_codes(pharmacy, batch, movement, codes)
    return movement


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
            codes_sell(pharmacy=pharmacy, batch_id=batch_id, movement=movement, codes=codes)
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


def stock_closed_until(pharmacy: Pharmacy) -> datetime | None:
    """The latest count time of a submitted or accepted stocktake: the ledger up to it has
    been reconciled, so nothing may be booked at or before it (HY-E06)."""
    closed = Stocktake.objects.filter(
        pharmacy=pharmacy, status__in=[StocktakeStatus.SUBMITTED, StocktakeStatus.ACCEPTED]
    ).aggregate(until=Max("counted_at"))
    return closed["until"]


def stocktakes_lock(pharmacy: Pharmacy) -> None:
    """Lock order stocktake → batch, as stocktake_submit/accept: a submission running now
    finishes first, and its count time is then seen by stock_closed_until (HY-E06)."""
    list(
        Stocktake.objects.select_for_update()
        .filter(pharmacy=pharmacy)
        .exclude(status=StocktakeStatus.ACCEPTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class _Entry:
    """A movement entered by hand, its text stripped and its fields checked for its kind."""

    kind: str
    quantity: int
    occurred_at: datetime
    unit_price: Decimal | None
    supplier: str
    counterparty_kind: str
    counterparty: str
    reason: str
    reference: str
    codes: list[str]


def _check_kind_fields(entry: _Entry) -> None:
    """What each kind must name: a purchase return its supplier, a transfer its counterparty
    and order (HY-E06 keeps transfer orders), a loss its reason, a sale its price."""
    kind = entry.kind
    if kind == MovementKind.PURCHASE_RETURN and not entry.supplier:
        raise DomainError(_("采购退货须填写供货单位（退货对象）。"), field="supplier")
    if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        if entry.counterparty_kind not in CounterpartyKind.values:
            raise DomainError(_("调拨须选择对方类型。"), field="counterparty_kind")
        if not entry.counterparty:
            raise DomainError(_("调拨须填写对方单位。"), field="counterparty")
        if not entry.reference:
            raise DomainError(_("调拨须填写调拨单号（HY-E06 留存调拨单）。"), field="reference")
    if kind in (MovementKind.LOSS, MovementKind.DESTRUCTION) and not entry.reason:
        raise DomainError(_("报损、销毁须填写原因。"), field="reason")
    if kind == MovementKind.SALE and entry.unit_price is None:
        raise DomainError(_("销售须填写单价。"), field="unit_price")
    if kind == MovementKind.SALE and entry.unit_price is not None and entry.unit_price <= 0:
        raise DomainError(_("单价：销售单价须大于 0 元。"), field="unit_price")


def _check_entry_date(pharmacy: Pharmacy, occurred_at: datetime) -> None:
    """Not before the pharmacy opened (nor an implausible date)."""
    occurred_on = timezone.localdate(occurred_at)
    if occurred_on < EARLIEST_DATE:
        raise DomainError(_("发生时间：日期不合理。"), field="occurred_at")
    if pharmacy.opened_on is not None and occurred_on < pharmacy.opened_on:
        raise DomainError(
            _("发生时间：不能早于本药店的正式经营日期 %s。") % pharmacy.opened_on.isoformat(),
            field="occurred_at",
        )


def _check_transfer_expiry(batch: StockBatch | None, new_batch: NewBatch | None) -> None:
    """An expired batch is not transferred in."""
    expiry = new_batch.expiry_date if batch is None and new_batch is not None else None
    expiry = batch.expiry_date if batch is not None else expiry
    if expiry is not None and expiry < timezone.localdate():
        raise DomainError(
            _("有效期至：该批次已于 %s 过期，不能调入。") % expiry.isoformat(),
            field="expiry_date" if batch is None else "batch",
        )


def _check_ledger_open(pharmacy: Pharmacy, occurred_at: datetime) -> None:
    """HY-E06: nothing is booked at or before a submitted stocktake's count time (under the
    stocktakes' lock, so a submission running now is seen)."""
    stocktakes_lock(pharmacy)
    closed = stock_closed_until(pharmacy)
    if closed is not None and occurred_at <= closed:
        raise RuleViolation(
            "HY-E06",
            _("发生时间须晚于已提交盘点的实盘时间 %s：此前的账目已盘点对账，不能补录。")
            % timezone.localtime(closed).strftime("%Y-%m-%d %H:%M"),
            field="occurred_at",
        )


def _entry_batch(
    pharmacy: Pharmacy, entry: _Entry, batch: StockBatch | None, new_batch: NewBatch | None
) -> StockBatch:
    """The batch the entry moves, locked: a batch new to the pharmacy is created by a transfer
    in; incoming stock is checked against HY-B01, outgoing against the stock on hand."""
    if entry.kind == MovementKind.TRANSFER_IN and batch is None and new_batch is not None:
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
    if MOVEMENT_SIGN[entry.kind] > 0:
        _assert_may_stock(pharmacy, locked.drug, field="batch")
    elif entry.quantity > locked.quantity:
        raise DomainError(
            _("数量 %(qty)s 超过批次 %(batch)s 的库存 %(stock)s，不能出库。")
            % {"qty": entry.quantity, "batch": locked, "stock": locked.quantity},
            field="quantity",
        )
    return locked


def _cash_sale_enter(
    pharmacy: Pharmacy, batch: StockBatch, entry: _Entry, actor: User | None
) -> Movement:
    """A sale without insurance settlement, booked as a counter sale is; its return is
    recorded by hand too."""
    codes_check_on_hand(batch, entry.codes)
    assert entry.unit_price is not None
    movement = stock_sale_book(
        pharmacy=pharmacy,
        drug=batch.drug,
        batch=batch,
        quantity=entry.quantity,
        unit_price=entry.unit_price,
        traceability_codes=entry.codes,
        sold_at=entry.occurred_at,
        actor=actor,
        reference=entry.reference,
    )
    Movement.objects.filter(pk=movement.pk).update(entered_by_hand=True, reason=entry.reason)
    movement.entered_by_hand, movement.reason = True, entry.reason
    return movement


def _other_enter(
    pharmacy: Pharmacy, batch: StockBatch, entry: _Entry, actor: User | None
) -> Movement:
    """A purchase return, transfer, loss or destruction: the movement, and its traceability
    codes moved with the stock (HY-B03: one place at a time)."""
    sign = MOVEMENT_SIGN[entry.kind]
    codes = entry.codes
    known = codes_check_on_hand(batch, codes) if sign < 0 else codes_check_receivable(codes)
    movement = stock_movement_record(
        pharmacy=pharmacy,
        batch=batch,
        kind=entry.kind,
        quantity=entry.quantity,
        occurred_at=entry.occurred_at,
        actor=actor,
        unit_price=entry.unit_price,
        supplier=entry.supplier,
        reference=entry.reference,
        traceability_codes=codes,
        counterparty_kind=entry.counterparty_kind,
        counterparty=entry.counterparty,
        reason=entry.reason,
        entered_by_hand=True,
    )
    if not codes:
        return movement
    if sign < 0:
        TraceabilityCode.objects.filter(code__in=list(known)).update(left_in=movement)
    else:
        # Codes that left another pharmacy by transfer or return move here.
        TraceabilityCode.objects.filter(code__in=list(known)).update(
            pharmacy=pharmacy, batch=batch, received_in=movement, left_in=None
        )
    TraceabilityCode.objects.bulk_create(
        TraceabilityCode(
            code=c,
            pharmacy=pharmacy,
            batch=batch,
            received_in=movement if sign > 0 else None,
            left_in=movement if sign < 0 else None,
        )
        for c in codes
        if c not in known
    )
    return movement


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
    if occurred_at > timezone.now():
        raise DomainError(_("发生时间不能晚于现在。"), field="occurred_at")
    transfer = kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT)
    entry = _Entry(
        kind=kind,
        quantity=quantity,
        occurred_at=occurred_at,
        unit_price=unit_price,
        supplier=supplier.strip(),
        counterparty_kind=counterparty_kind if transfer else "",
        counterparty=counterparty.strip() if transfer else "",
        reason=reason.strip(),
        reference=reference.strip(),
        codes=[c.strip() for c in traceability_codes or [] if c.strip()],
    )
    check_code_format(entry.codes, quantity)
    _check_kind_fields(entry)
    _check_entry_date(pharmacy, occurred_at)
    if kind == MovementKind.TRANSFER_IN:
        _check_transfer_expiry(batch, new_batch)
    with transaction.atomic():
        _check_ledger_open(pharmacy, occurred_at)
        if kind == MovementKind.SALE_RETURN:
            return _sale_return_enter(pharmacy=pharmacy, sale=sale, entry=entry, actor=actor)
        locked = _entry_batch(pharmacy, entry, batch, new_batch)
        if kind == MovementKind.SALE:
            return _cash_sale_enter(pharmacy, locked, entry, actor)
        return _other_enter(pharmacy, locked, entry, actor)


def _sale_return_enter(
    *, pharmacy: Pharmacy, sale: Movement | None, entry: _Entry, actor: User | None
) -> Movement:
    """A cash sale returned, wholly or partly: never more than sold less returned; its
    codes sellable again (HY-B03). Insurance sales are returned with their dispensing."""
    if sale is None:
        raise DomainError(_("销售退货须选择原销售记录。"), field="sale")
    quantity, codes = entry.quantity, entry.codes
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
    if entry.occurred_at < original.occurred_at:
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
        occurred_at=entry.occurred_at,
        actor=actor,
        unit_price=original.unit_price if entry.unit_price is None else entry.unit_price,
        reference=entry.reference or original.reference,
        traceability_codes=codes,
        reason=entry.reason,
        returns_of=original,
        entered_by_hand=True,
    )
    TraceabilityCode.objects.filter(code__in=codes, sold_in=original).update(sold_in=None)
    return movement
