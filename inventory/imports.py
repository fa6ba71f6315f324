"""Purchase ledger files (CSV / xlsx): the columns, reading, parsing one cell, the messages.

Every GY-A06 field of a purchase record is a column; errors are reported by row and column.
The rows are checked and booked set-based in SQL by inventory/staging.py, which uses the
readers, parsers and messages here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from core.exports import csv_bytes, xlsx_bytes
from inventory.files import decode_csv
from inventory.models import (
    APPROVAL_NUMBER_RE,
    ItemCategory,
    Movement,
    StockBatch,
)

# (key, header) in file order; the headers are what pharmacies' systems export.
COLUMNS: list[tuple[str, str]] = [
    ("insurance_code", "国家医保药品编码"),
    ("generic_name", "通用名"),
    ("manufacturer", "生产厂商（产地）"),
    ("dosage_form", "剂型"),
    ("specification", "规格"),
    ("batch_no", "批号"),
    ("production_date", "生产日期"),
    ("expiry_date", "有效期至"),
    ("approval_number", "批准文号"),
    ("supplier", "供货单位"),
    ("quantity", "数量"),
    ("unit_price", "单价（元）"),
    ("purchase_date", "购进日期"),
    ("invoice_no", "发票号"),
    ("delivery_note_no", "随货单号"),
    ("traceability_codes", "追溯码"),
]
HEADERS = [header for _key, header in COLUMNS]
REQUIRED = {
    "insurance_code",
    "generic_name",
    "manufacturer",
    "dosage_form",
    "specification",
    "batch_no",
    "production_date",
    "expiry_date",
    "supplier",
    "quantity",
    "unit_price",
    "purchase_date",
    "traceability_codes",
}
CODE_SEPARATORS = (";", "；", ",", "，", " ")
CODE_SHOWN = 40  # a malformed code is quoted in its message up to this many characters
# Excel keeps 15 significant digits of a number: a numeric cell from 10^15 up may hold a
# rounded integer (a 20-digit traceability code typed into a number cell), so it is read as
# the number it is (1.23456789012346e+19), never as the integer it might have been.
EXACT_BELOW = 10**15


# Values the database columns can hold (numeric(12, 4) prices, integer quantities).
MAX_QUANTITY = 2_147_483_647
MAX_PRICE = Decimal("99999999.9999")
# Text columns that are stored, with the model field holding each (lengths come from there).
STORED_TEXT: tuple[tuple[str, Any], ...] = (
    ("batch_no", StockBatch),
    ("supplier", Movement),
    ("invoice_no", Movement),
    ("delivery_note_no", Movement),
)
SLOT = {key: n for n, (key, _h) in enumerate(COLUMNS)}
DATE_SLOTS = (SLOT["production_date"], SLOT["expiry_date"], SLOT["purchase_date"])

# Every message a row can get (inventory/staging.py reports them).
MESSAGES: dict[str, Any] = {
    "missing_columns": gettext_lazy("缺少列：%(columns)s"),
    "no_rows": gettext_lazy("文件中没有数据行"),
    "required": gettext_lazy("不能为空"),
    "too_long": gettext_lazy("不能超过 %(max)s 个字符"),
    "unknown_drug": gettext_lazy("药品目录中没有此编码"),
    "hy_b01": gettext_lazy("[HY-B01] 特门场所只能经营准字号药品，不得进货“%(category)s”"),
    "approval_format": gettext_lazy("格式应为 国药准字H/Z/S/J + 8 位数字"),
    "approval_mismatch": gettext_lazy("与药品目录中的批准文号不一致"),
    "date_format": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "expiry_order": gettext_lazy("有效期须晚于生产日期"),
    "closed_period": gettext_lazy(
        "[HY-E06] 须晚于已提交盘点的实盘时间 %(until)s：此前的账目已盘点对账，不能补录"
    ),
    "future_date": gettext_lazy("不能晚于今天"),
    "batch_date_known": gettext_lazy("与本店已登记的同一批号不一致（%(date)s）"),
    "batch_date_file": gettext_lazy("与第 %(row)s 行同一批号的日期不一致（%(date)s）"),
    "quantity": gettext_lazy("须为正整数"),
    "quantity_too_large": gettext_lazy("数量过大"),
    "price": gettext_lazy("须为不小于 0 的金额"),
    "price_too_large": gettext_lazy("金额过大"),
    "code_format": gettext_lazy(
        "[HY-B03] 追溯码 %(code)s 格式不正确：应为 20 位数字（在 Excel 中请把追溯码列设为文本格式）"
    ),
    "code_duplicate": gettext_lazy("追溯码 %(code)s 与第 %(row)s 行重复"),
    "code_count": gettext_lazy("追溯码个数多于数量"),
    "code_known": gettext_lazy("追溯码 %(code)s 已登记过"),
}


def message(kind: str, params: dict[str, Any] | None = None) -> str:
    text = str(MESSAGES[kind])
    return text % params if params else text


def category_label(category: str) -> str:
    return str(ItemCategory(category).label)


@dataclass(frozen=True)
class DateWindow:
    """The purchase dates a pharmacy's import may book: after the count time of its last
    submitted stocktake (HY-E06: a purchase dated D is booked at D 00:00, so D must be after
    the count's date) and not after today."""

    closed_through: date | None = None  # purchases dated on or before it are refused
    closed_label: str = ""  # the count time, "YYYY-MM-DD HH:MM", as the message shows it
    latest: date | None = None  # purchases dated after it are refused

    @classmethod
    def of(cls, closed_until: datetime | None) -> DateWindow:
        """The window for a pharmacy whose ledger is closed until `closed_until`."""
        if closed_until is None:
            return cls(latest=timezone.localdate())
        return cls(
            closed_through=timezone.localdate(closed_until),
            closed_label=timezone.localtime(closed_until).strftime("%Y-%m-%d %H:%M"),
            latest=timezone.localdate(),
        )


@dataclass
class ValidationResult:
    errors: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0  # data rows in the file (blank rows not counted)

    def error(self, row: int, column: str, kind: str, params: dict[str, Any] | None = None) -> None:
        self.errors.append({"row": row, "column": column, "message": message(kind, params)})

    def sorted_errors(self) -> list[dict[str, Any]]:
        """By row, then column; within one cell in the order the checks ran."""
        return sorted(self.errors, key=lambda e: (e["row"], e["column"]))


def read_rows(data: bytes, file_format: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the data rows of a CSV or xlsx file."""
    if file_format == "csv":
        return csv_rows(decode_csv(data))
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, ())
    return [str(h or "").strip() for h in first], (list(r) for r in rows)


def csv_rows(text: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the data rows of a decoded CSV file."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    return [h.strip() for h in header], reader


def missing_columns(header: list[str]) -> list[str]:
    return [h for key, h in COLUMNS if key in REQUIRED and h not in header]


def positions_of(header: list[str]) -> list[int]:
    """Where each of COLUMNS is in the file (-1: absent)."""
    return [header.index(h) if h in header else -1 for _key, h in COLUMNS]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_BELOW:
        value = int(value)
    return str(value).strip()


def cells_reader(file_format: str, positions: list[int]) -> Callable[[list[Any]], list[str]]:
    """A function turning one file row into the text of each of COLUMNS, stripped. xlsx
    cells come typed: a date cell in a date column becomes its ISO date."""
    if file_format == "csv":

        def csv_cells(raw: list[Any]) -> list[str]:
            width = len(raw)
            return [raw[i].strip() if 0 <= i < width else "" for i in positions]

        return csv_cells
    dated = set(DATE_SLOTS)

    def xlsx_cells(raw: list[Any]) -> list[str]:
        width = len(raw)
        cells = []
        for slot, i in enumerate(positions):
            value = raw[i] if 0 <= i < width else None
            if slot in dated and isinstance(value, datetime):
                cells.append(value.date().isoformat())
            elif slot in dated and isinstance(value, date):
                cells.append(value.isoformat())
            else:
                cells.append(_text(value))
        return cells

    return xlsx_cells


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)  # the common case, fast
    except ValueError:
        pass
    text = text.replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_quantity(text: str) -> tuple[int | None, str]:
    """(quantity, "") or (None, message kind)."""
    try:
        value = int(text) if text.isdigit() else 0
    except ValueError:  # digits int() does not read, e.g. superscripts
        value = 0
    if value <= 0:
        return None, "quantity"
    if value > MAX_QUANTITY:
        return None, "quantity_too_large"
    return value, ""


def parse_price(text: str) -> tuple[Decimal | None, str]:
    """(price, "") or (None, message kind)."""
    try:
        price = Decimal(text)
    except InvalidOperation:
        return None, "price"
    if not price.is_finite() or price < 0:
        return None, "price"
    if price > MAX_PRICE:
        return None, "price_too_large"
    return price, ""


def approval_format_ok(text: str) -> bool:
    return APPROVAL_NUMBER_RE.match(text) is not None


def split_codes(text: str) -> list[str]:
    for sep in CODE_SEPARATORS[1:]:
        text = text.replace(sep, CODE_SEPARATORS[0])
    return [c for c in (part.strip() for part in text.split(CODE_SEPARATORS[0])) if c]


def text_limits() -> list[tuple[int, str, int]]:
    """(slot, header, max length) of each stored text column."""
    headers = dict(COLUMNS)
    limits = []
    for key, model in STORED_TEXT:
        max_length = model._meta.get_field(key).max_length
        assert max_length is not None
        limits.append((SLOT[key], headers[key], max_length))
    return limits


def export_rows(movements: Any) -> Iterator[list[Any]]:
    """Purchase movements as file rows (the import format)."""
    for m in movements:
        drug, batch = m.drug, m.batch
        yield [
            drug.insurance_code,
            drug.generic_name,
            drug.manufacturer,
            drug.dosage_form,
            drug.specification,
            batch.batch_no,
            batch.production_date.isoformat() if batch.production_date else "",
            batch.expiry_date.isoformat() if batch.expiry_date else "",
            drug.approval_number,
            m.supplier,
            m.quantity,
            _price_text(m.unit_price),
            timezone.localtime(m.occurred_at).date().isoformat(),
            m.invoice_no,
            m.delivery_note_no,
            ";".join(m.traceability_codes),
        ]


def _price_text(price: Decimal | None) -> str:
    """A stored price as the import reads it back unchanged: yuan and fen always (12.50),
    further places only when stored (12.3457)."""
    if price is None:
        return ""
    if price == price.quantize(Decimal("0.01")):
        return f"{price:.2f}"
    return str(price.normalize())


def write_csv(rows: Iterator[list[Any]] | list[list[Any]]) -> bytes:
    return csv_bytes(HEADERS, rows)


def write_xlsx(rows: Iterator[list[Any]] | list[list[Any]], *, title: str = "进货台账") -> bytes:
    return xlsx_bytes(HEADERS, rows, title=title)
