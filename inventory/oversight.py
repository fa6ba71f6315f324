"""Selectors the fund supervision reads (supervision.rules): the stocktakes the ledger marked
imbalanced or overdue, and the sales of traceability codes. Read-only; supervision is above
inventory and inventory never imports it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncMonth

from inventory.models import (
    CounterpartyKind,
    Movement,
    MovementKind,
    Stocktake,
    StocktakeLine,
    TraceabilityCode,
)
from pharmacies.models import Pharmacy

Period = tuple[datetime, datetime]


def _stocktake_rows(qs: Any) -> list[dict[str, Any]]:
    return list(
        qs.values(
            "id",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "period_start",
            "period_end",
            "due_on",
            "submitted_at",
            "escalated_at",
        ).order_by("id")
    )


def stocktakes_imbalanced(*, after: datetime | None, period: Period | None) -> list[dict[str, Any]]:
    """HY-E06 / SV-F03: submitted stocktakes marked imbalanced, submitted after `after` (the
    rule's watermark) or within `period` (a dry run), with their differing lines."""
    qs = Stocktake.objects.filter(is_imbalanced=True, submitted_at__isnull=False)
    if period is not None:
        qs = qs.filter(submitted_at__gte=period[0], submitted_at__lt=period[1])
    elif after is not None:
        qs = qs.filter(submitted_at__gt=after)
    rows = _stocktake_rows(qs)
    lines: dict[int, list[dict[str, Any]]] = {}
    found: Any = (
        StocktakeLine.objects.filter(stocktake_id__in=[r["id"] for r in rows])
        .exclude(difference=0)
        .values(
            "stocktake_id",
            "batch__batch_no",
            "batch__drug__generic_name",
            "expected",
            "counted",
            "difference",
            "reason",
        )
        .order_by("id")
    )
    for line in found:
        row_line = dict(line)
        lines.setdefault(row_line.pop("stocktake_id"), []).append(row_line)
    for row in rows:
        row["lines"] = lines.get(row["id"], [])
    return rows


def stocktakes_escalated(*, after: datetime | None, period: Period | None) -> list[dict[str, Any]]:
    """HY-E06: stocktakes escalated as overdue (escalated_at set by the daily stocktake scan)
    after `after`, or overdue within `period` (a dry run: due before its end, still open or
    escalated in it)."""
    qs = Stocktake.objects.filter(escalated_at__isnull=False)
    if period is not None:
        qs = qs.filter(Q(escalated_at__gte=period[0]) & Q(escalated_at__lt=period[1]))
    elif after is not None:
        qs = qs.filter(escalated_at__gt=after)
    return _stocktake_rows(qs)


def code_first_sales(codes: list[str]) -> dict[str, dict[str, Any]]:
    """GY-E02 / SV-F01: for each code, the sale it went out in (pharmacy and time)."""
    sold: Any = TraceabilityCode.objects.filter(code__in=codes, sold_in__isnull=False).values(
        "code",
        "sold_in__pharmacy_id",
        "sold_in__pharmacy__organisation__name",
        "sold_in__occurred_at",
    )
    return {row["code"]: dict(row) for row in sold}


def stock_flows_by_month(
    *, pharmacy_ids: list[int], drug_ids: list[int], since: datetime, until: datetime
) -> tuple[dict[tuple[int, int], int], list[dict[str, Any]]]:
    """SV-F09: the stock of each (pharmacy, drug) of `pharmacy_ids` × `drug_ids` at `since`
    (every signed movement before it) and, per month in [since, until), the net movement,
    the purchases and the transfers in; two aggregates in the database."""
    qs = Movement.objects.filter(pharmacy_id__in=pharmacy_ids, drug_id__in=drug_ids)
    openings = {
        (r["pharmacy_id"], r["drug_id"]): r["stock"] or 0
        for r in qs.filter(occurred_at__lt=since)
        .values("pharmacy_id", "drug_id")
        .annotate(stock=Sum("quantity"))
        .order_by()
    }
    months: Any = (
        qs.filter(occurred_at__gte=since, occurred_at__lt=until)
        .annotate(month=TruncMonth("occurred_at"))
        .values("pharmacy_id", "drug_id", "month")
        .annotate(
            net=Sum("quantity"),
            purchases=Sum("quantity", filter=Q(kind=MovementKind.PURCHASE), default=0),
            transfers_in=Sum("quantity", filter=Q(kind=MovementKind.TRANSFER_IN), default=0),
        )
        .order_by("pharmacy_id", "drug_id", "month")
    )
    return openings, [dict(r) for r in months]


_TRANSFER_FIELDS = (
    "id",
    "pharmacy_id",
    "pharmacy__organisation__name",
    "pharmacy__organisation_id",
    "drug_id",
    "drug__generic_name",
    "quantity",
    "occurred_at",
    "counterparty",
    "reference",
)


def _outside_transfers() -> Any:
    return Movement.objects.filter(
        kind=MovementKind.TRANSFER_IN, counterparty_kind=CounterpartyKind.OTHER
    )


def outside_transfers_new(
    *, after_id: int, period: Period | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """SV-F09: transfers in from outside the owner (counterparty OTHER) with an id above
    `after_id` (or occurring within `period`, a dry run), and the newest one's id."""
    qs = _outside_transfers()
    if period is not None:
        qs = qs.filter(occurred_at__gte=period[0], occurred_at__lt=period[1])
    else:
        qs = qs.filter(id__gt=after_id)
    rows = [dict(r) for r in qs.values(*_TRANSFER_FIELDS).order_by("id")]
    return max((r["id"] for r in rows), default=None), rows


def outside_transfers_between(
    *, pharmacy_ids: list[int], drug_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F09: transfers in from outside the owner of `drug_ids` at `pharmacy_ids` occurring
    in [since, until]."""
    qs = _outside_transfers().filter(
        pharmacy_id__in=pharmacy_ids,
        drug_id__in=drug_ids,
        occurred_at__gte=since,
        occurred_at__lte=until,
    )
    return [dict(r) for r in qs.values(*_TRANSFER_FIELDS).order_by("id")]


# SV-F01 received after sale: each code of the new movements (one scan of them by id, each
# code looked up by its unique index) with the movement that received it — the new movement
# itself when it receives (purchase, transfer in), else the code's `received_in` — and the
# sale it went out in, kept where the receipt is at another pharmacy and later than the sale.
_RECEIVING = [MovementKind.PURCHASE.value, MovementKind.TRANSFER_IN.value]
_RECEIVED_AFTER_SALE = """
SELECT DISTINCT ON (c.code, r.pharmacy_id)
    c.code, r.id, r.kind, r.pharmacy_id, ro.id, ro.name, r.occurred_at,
    s.id, s.pharmacy_id, so.name, s.occurred_at
FROM {movement} m
CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(m.traceability_codes) = 'array' THEN m.traceability_codes
    ELSE '[]'::jsonb END
) AS c(code)
JOIN {code} t ON t.code = c.code
JOIN {movement} s ON s.id = t.sold_in_id
JOIN {movement} r
    ON r.id = CASE WHEN m.kind = ANY(%(receiving)s) THEN m.id ELSE t.received_in_id END
JOIN {pharmacy} rp ON rp.id = r.pharmacy_id
JOIN {organisation} ro ON ro.id = rp.organisation_id
JOIN {pharmacy} sp ON sp.id = s.pharmacy_id
JOIN {organisation} so ON so.id = sp.organisation_id
WHERE {new} AND m.traceability_codes <> '[]'::jsonb
    AND r.kind = ANY(%(receiving)s) AND r.pharmacy_id <> s.pharmacy_id
    AND s.occurred_at < r.occurred_at
ORDER BY c.code, r.pharmacy_id, r.occurred_at, r.id
"""
_RECEIVED_FIELDS = (
    "code",
    "received_movement_id",
    "received_kind",
    "pharmacy_id",
    "organisation_id",
    "organisation",
    "received_at",
    "sold_movement_id",
    "sold_pharmacy_id",
    "sold_organisation",
    "sold_at",
)


def codes_received_after_sale(
    *, after_id: int, period: Period | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """SV-F01: the newest movement id above `after_id` (None: nothing new; a dry run reads
    the movements that occurred within `period`) and each traceability code of those
    movements received by a pharmacy (purchase, transfer in) after it was sold at another
    one: the receipt (pharmacy, organisation, time) and the sale. Two queries."""
    params: dict[str, Any]
    if period is not None:
        new = Movement.objects.filter(occurred_at__gte=period[0], occurred_at__lt=period[1])
        where = "m.occurred_at >= %(since)s AND m.occurred_at < %(until)s"
        params = {"since": period[0], "until": period[1]}
    else:
        new = Movement.objects.filter(id__gt=after_id)
        where, params = "m.id > %(after)s", {"after": after_id}
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    sql = _RECEIVED_AFTER_SALE.format(
        movement=Movement._meta.db_table,
        code=TraceabilityCode._meta.db_table,
        pharmacy=Pharmacy._meta.db_table,
        organisation=Pharmacy._meta.get_field("organisation").related_model._meta.db_table,  # type: ignore[union-attr]
        new=where + ("" if period is not None else " AND m.id <= %(last)s"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "last": last, "receiving": _RECEIVING})
        rows = cursor.fetchall()
    return last, [dict(zip(_RECEIVED_FIELDS, row, strict=True)) for row in rows]
