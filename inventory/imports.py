"""Purchase ledger files (CSV / xlsx): the columns, reading, and row-by-row validation.

Every GY-A06 field of a purchase record is a column; errors are reported by row and column.
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
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from inventory.files import decode_csv
from inventory.models import APPROVAL_NUMBER_RE, APPROVAL_ONLY_ALLOWED, Drug, TraceabilityCode

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


@dataclass
class PurchaseRow:
    row: int
    drug: Drug
    batch_no: str
    production_date: date
    expiry_date: date
    supplier: str
    quantity: int
    unit_price: Decimal
    purchase_date: date
    invoice_no: str
    delivery_note_no: str
    traceability_codes: list[str]


@dataclass
class ValidationResult:
    rows: list[PurchaseRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})


def read_rows(data: bytes, file_format: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the data rows of a CSV or xlsx file."""
    if file_format == "csv":
        reader = csv.reader(io.StringIO(decode_csv(data)))
        header = next(reader, [])
        return [h.strip() for h in header], reader
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, ())
    return [str(h or "").strip() for h in first], (list(r) for r in rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(text: str, raw: list[Any], position: int) -> date | None:
    if position >= 0 and position < len(raw):
        value = raw[position]
        if isinstance(value, datetime):  # xlsx cells come typed
            return value.date()
        if isinstance(value, date):
            return value
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


def split_codes(text: str) -> list[str]:
    for sep in CODE_SEPARATORS[1:]:
        text = text.replace(sep, CODE_SEPARATORS[0])
    return [c for c in (part.strip() for part in text.split(CODE_SEPARATORS[0])) if c]


def validate(
    data: bytes,
    file_format: str,
    *,
    approval_only: bool,
    progress: Callable[[int], None] | None = None,
) -> ValidationResult:
    """Check every row (GY-A06 fields, HY-B01 categories, dates, quantities, unique codes)."""
    result = ValidationResult()
    header, rows = read_rows(data, file_format)
    missing = [h for key, h in COLUMNS if key in REQUIRED and h not in header]
    if missing:
        result.error(1, "、".join(missing), _("缺少列：%s") % "、".join(missing))
        return result
    positions = [header.index(h) if h in header else -1 for _key, h in COLUMNS]
    required = [(n, h) for n, (key, h) in enumerate(COLUMNS) if key in REQUIRED]
    drugs = {d.insurance_code: d for d in Drug.objects.all()}
    seen_codes: dict[str, int] = {}
    materialised = list(rows)
    total = max(len(materialised), 1)
    step = max(total // 20, 1)
    error = result.error
    for offset, raw in enumerate(materialised):
        line = offset + 2  # row 1 is the header
        if progress and offset % step == 0:
            progress(int(offset * 90 / total))
        width = len(raw)
        # One pass to text: the checks below then work on plain strings.
        cells = [_text(raw[i]) if 0 <= i < width else "" for i in positions]
        if not any(cells):
            continue
        (
            code,
            _name,
            _maker,
            _form,
            _spec,
            batch_no,
            produced_text,
            expires_text,
            approval,
            supplier,
            qtext,
            ptext,
            purchased_text,
            invoice_no,
            delivery_note_no,
            codes_text,
        ) = cells
        before = len(result.errors)
        for n, headername in required:
            if not cells[n]:
                error(line, headername, _("不能为空"))
        drug = drugs.get(code)
        if drug is None and code:
            error(line, "国家医保药品编码", _("药品目录中没有此编码"))
        if drug is not None:
            if approval_only and drug.category not in APPROVAL_ONLY_ALLOWED:
                error(
                    line,
                    "国家医保药品编码",
                    _("[HY-B01] 特门场所只能经营准字号药品，不得进货“%(category)s”")
                    % {"category": drug.get_category_display()},
                )
            if approval != drug.approval_number:
                if not APPROVAL_NUMBER_RE.match(approval):
                    error(line, "批准文号", _("格式应为 国药准字H/Z/S/J + 8 位数字"))
                elif drug.approval_number:
                    error(line, "批准文号", _("与药品目录中的批准文号不一致"))
        produced = _date(produced_text, raw, positions[6])
        expires = _date(expires_text, raw, positions[7])
        purchased = _date(purchased_text, raw, positions[12])
        for text, value, headername in (
            (produced_text, produced, "生产日期"),
            (expires_text, expires, "有效期至"),
            (purchased_text, purchased, "购进日期"),
        ):
            if value is None and text:
                error(line, headername, _("日期格式应为 YYYY-MM-DD"))
        if produced and expires and expires <= produced:
            error(line, "有效期至", _("有效期须晚于生产日期"))
        quantity: int | None = None
        if qtext:
            if qtext.isdigit() and int(qtext) > 0:
                quantity = int(qtext)
            else:
                error(line, "数量", _("须为正整数"))
        price: Decimal | None = None
        if ptext:
            try:
                price = Decimal(ptext)
                if price < 0 or not price.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                price = None
                error(line, "单价（元）", _("须为不小于 0 的金额"))
        codes = split_codes(codes_text)
        for trace in codes:
            if len(trace) > 40:
                error(line, "追溯码", _("追溯码过长：%s") % trace[:20])
            elif trace in seen_codes:
                error(
                    line,
                    "追溯码",
                    _("追溯码 %(code)s 与第 %(row)s 行重复")
                    % {"code": trace, "row": seen_codes[trace]},
                )
            else:
                seen_codes[trace] = line
        if quantity is not None and len(codes) > quantity:
            error(line, "追溯码", _("追溯码个数多于数量"))
        if len(result.errors) == before:
            assert drug and produced and expires and purchased and quantity and price is not None
            result.rows.append(
                PurchaseRow(
                    row=line,
                    drug=drug,
                    batch_no=batch_no,
                    production_date=produced,
                    expiry_date=expires,
                    supplier=supplier,
                    quantity=quantity,
                    unit_price=price,
                    purchase_date=purchased,
                    invoice_no=invoice_no,
                    delivery_note_no=delivery_note_no,
                    traceability_codes=codes,
                )
            )
    if not result.rows and not result.errors:
        result.error(2, "", _("文件中没有数据行"))
    _check_known_codes(seen_codes, result)
    return result


def _check_known_codes(seen: dict[str, int], result: ValidationResult) -> None:
    codes = list(seen)
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        for code in TraceabilityCode.objects.filter(code__in=chunk).values_list("code", flat=True):
            result.error(seen[code], "追溯码", _("追溯码 %s 已登记过") % code)


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
            f"{m.unit_price:.2f}" if m.unit_price is not None else "",
            timezone.localtime(m.occurred_at).date().isoformat(),
            m.invoice_no,
            m.delivery_note_no,
            ";".join(m.traceability_codes),
        ]


def write_csv(rows: Iterator[list[Any]] | list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Iterator[list[Any]] | list[list[Any]], *, title: str = "进货台账") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
