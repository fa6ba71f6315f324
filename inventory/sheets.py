"""The count sheet (盘底表): downloaded with the system quantities (or blind), uploaded counted."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from core.errors import DomainError
from core.exports import spreadsheet_cell, spreadsheet_row
from inventory.models import StockBatch, Stocktake

SHEET_HEADERS = [
    "批次编号",
    "国家医保药品编码",
    "通用名",
    "规格",
    "生产厂商",
    "批号",
    "有效期至",
    "账面数量",
    "实盘数量",
    "差异原因",
]
COUNTED_AT_LABEL = "实盘时间"


def count_sheet_batches(
    stocktake: Stocktake, until: datetime | None = None
) -> list[tuple[StockBatch, int | None]]:
    """Batches to count: those in stock at `until` (now) or moved in the period, with the
    system quantity at that moment."""
    from inventory.selectors import ledger_reconciliation

    ledger = ledger_reconciliation(
        pharmacy=stocktake.pharmacy,
        period_start=stocktake.period_start,
        until=until or timezone.now(),
    )
    batches = StockBatch.objects.filter(pk__in=list(ledger)).select_related("drug")
    return [(b, ledger[b.pk]["expected"]) for b in batches]


def count_sheet_xlsx(stocktake: Stocktake) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "盘底表"
    sheet.append(
        [
            _("药店"),
            spreadsheet_cell(stocktake.pharmacy.name),
            _("盘点期"),
            f"{stocktake.period_start} — {stocktake.period_end}",
        ]
    )
    # The count time the sheet proposes is written to the minute, and the system quantities
    # are those at that very minute: the upload reconciles up to the time on the sheet, so a
    # sale made earlier in the same minute must not be in one and out of the other (HY-E06).
    proposed = timezone.localtime().replace(second=0, microsecond=0)
    sheet.append([COUNTED_AT_LABEL, proposed.strftime("%Y-%m-%d %H:%M")])
    sheet.append(SHEET_HEADERS)
    for batch, expected in count_sheet_batches(stocktake, until=proposed):
        drug = batch.drug
        sheet.append(
            spreadsheet_row(
                [
                    batch.pk,
                    drug.insurance_code,
                    drug.generic_name,
                    drug.specification,
                    drug.manufacturer,
                    batch.batch_no,
                    batch.expiry_date.isoformat() if batch.expiry_date else "",
                    None if stocktake.blind else expected,
                    None,
                    None,
                ]
            )
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parse_count_sheet(data: bytes) -> tuple[datetime, dict[int, tuple[int, str]]]:
    """The count time and {batch id: (counted, reason)}; errors by row and column."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    if len(rows) < 3 or [str(c or "").strip() for c in rows[2][: len(SHEET_HEADERS)]] != (
        SHEET_HEADERS
    ):
        raise DomainError(_("盘底表格式不对：请使用本系统下载的盘底表。"))
    counted_at = _parse_when(rows[1][1] if len(rows[1]) > 1 else None)
    if counted_at is None:
        raise DomainError(_("第 2 行“实盘时间”须填写，格式 YYYY-MM-DD HH:MM。"))
    counts: dict[int, tuple[int, str]] = {}
    first_row: dict[int, int] = {}
    errors: list[str] = []
    for number, row in enumerate(rows[3:], start=4):
        if not any(c not in (None, "") for c in row):
            continue
        cells: list[Any] = row + [None] * (len(SHEET_HEADERS) - len(row))
        try:
            batch_id = int(cells[0])
        except (TypeError, ValueError):
            errors.append(_("第 %(row)s 行“批次编号”无效") % {"row": number})
            continue
        # Two counts for one batch cannot both be right: refuse rather than keep either.
        if batch_id in first_row:
            errors.append(
                _("第 %(row)s 行“批次编号”与第 %(first)s 行重复")
                % {"row": number, "first": first_row[batch_id]}
            )
            continue
        first_row[batch_id] = number
        raw = cells[8]
        try:
            counted = int(raw)
            if counted < 0 or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
        except (TypeError, ValueError):
            errors.append(_("第 %(row)s 行“实盘数量”须为不小于 0 的整数") % {"row": number})
            continue
        counts[batch_id] = (counted, str(cells[9] or "").strip())
    if errors:
        raise DomainError("；".join(errors))
    return counted_at, counts


def _parse_when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.strptime(str(value or "").strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
