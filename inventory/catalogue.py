"""Drug catalogue files (xlsx / CSV): columns and row-by-row validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from inventory.imports import read_rows
from inventory.models import APPROVAL_NUMBER_RE, ItemCategory

CATALOGUE_COLUMNS: list[tuple[str, str]] = [
    ("insurance_code", "国家医保药品编码"),
    ("generic_name", "通用名"),
    ("dosage_form", "剂型"),
    ("specification", "规格"),
    ("manufacturer", "生产厂商"),
    ("approval_number", "批准文号"),
    ("category", "类别"),
    ("is_therapeutic", "治疗性药物"),
    ("scope_diseases", "适用病种编码"),
    ("basic_diseases", "基本药物病种编码"),
    ("hospital_price", "公立医院挂网价"),
    ("platform_price", "集采平台挂网价"),
    ("price_source", "限价来源"),
    ("price_date", "限价日期"),
]
CATALOGUE_REQUIRED = {"insurance_code", "generic_name", "category"}
YES = {"是", "Y", "y", "1", "TRUE", "true"}


@dataclass
class CatalogueRow:
    row: int
    values: dict[str, Any]
    scope: list[str]
    basic: list[str]
    prices: dict[str, Decimal]
    price_source: str
    price_date: date | None


@dataclass
class CatalogueResult:
    rows: list[CatalogueRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The file has a disease column: each row's diseases are then its whole scope.
    scope_given: bool = False


def _codes(text: str) -> list[str]:
    for sep in ("，", "；", ";", " "):
        text = text.replace(sep, ",")
    return [c.strip() for c in text.split(",") if c.strip()]


HEADER = dict(CATALOGUE_COLUMNS)


@dataclass
class _RowErrors:
    """The errors of one file row, each with its row number and column."""

    row: int
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.errors.append({"row": self.row, "column": HEADER[key], "message": message})


def _categories() -> dict[str, str]:
    """A category cell may hold the label (in the active language) or the stored value."""
    categories = {str(label): value for value, label in ItemCategory.choices}
    categories.update({value: value for value in ItemCategory.values})
    return categories


def _check_entry(
    cells: dict[str, str], errors: _RowErrors, seen: dict[str, int], categories: dict[str, str]
) -> str | None:
    """Required cells, the code once per file, the category and the approval number; returns
    the category."""
    for key, _header in CATALOGUE_COLUMNS:
        if key in CATALOGUE_REQUIRED and not cells[key]:
            errors.add(key, _("不能为空"))
    code = cells["insurance_code"]
    if code in seen:
        errors.add("insurance_code", _("与第 %s 行重复") % seen[code])
    seen[code] = errors.row
    category = categories.get(cells["category"])
    if cells["category"] and category is None:
        errors.add("category", _("类别无效：%s") % cells["category"])
    approval = cells["approval_number"]
    if approval and not APPROVAL_NUMBER_RE.match(approval):
        errors.add("approval_number", _("格式应为 国药准字H/Z/S/J + 8 位数字"))
    if category == ItemCategory.DRUG and not approval:
        errors.add("approval_number", _("药品须填写批准文号"))
    return category


def _check_prices(
    cells: dict[str, str], errors: _RowErrors
) -> tuple[dict[str, Decimal], date | None]:
    """The listed prices by basis, each with its source and date (HY-B02 / GY-C01)."""
    prices: dict[str, Decimal] = {}
    for key, basis in (
        ("hospital_price", "hospital_listed"),
        ("platform_price", "platform_listed"),
    ):
        if cells[key]:
            try:
                prices[basis] = Decimal(cells[key])
                if prices[basis] < 0:
                    raise InvalidOperation
            except InvalidOperation:
                errors.add(key, _("须为不小于 0 的金额"))
    price_date = None
    if cells["price_date"]:
        try:
            price_date = date.fromisoformat(cells["price_date"][:10])
        except ValueError:
            errors.add("price_date", _("日期格式应为 YYYY-MM-DD"))
    if prices and not (cells["price_source"] and price_date):
        errors.add("price_source", _("填写限价时须注明来源和日期"))
    return prices, price_date


def _catalogue_row(
    cells: dict[str, str],
    errors: _RowErrors,
    *,
    seen: dict[str, int],
    categories: dict[str, str],
    disease_codes: set[str],
) -> CatalogueRow:
    """One row checked (its errors go to `errors`) and read."""
    category = _check_entry(cells, errors, seen, categories)
    scope, basic = _codes(cells["scope_diseases"]), _codes(cells["basic_diseases"])
    for key, codes in (("scope_diseases", scope), ("basic_diseases", basic)):
        for disease in codes:
            if disease not in disease_codes:
                errors.add(key, _("病种编码不存在：%s") % disease)
    prices, price_date = _check_prices(cells, errors)
    values: dict[str, Any] = {
        key: cells[key] for key in ("generic_name", "dosage_form", "specification", "manufacturer")
    }
    return CatalogueRow(
        row=errors.row,
        values={
            **values,
            "approval_number": cells["approval_number"],
            "category": category,
            "is_therapeutic": cells["is_therapeutic"] in YES,
            "insurance_code": cells["insurance_code"],
        },
        scope=sorted(set(scope) | set(basic)),
        basic=basic,
        prices=prices,
        price_source=cells["price_source"],
        price_date=price_date,
    )


def validate_catalogue(
    data: bytes, file_format: str, *, disease_codes: set[str]
) -> CatalogueResult:
    """Every row checked (approval-number format, category, disease codes, prices)."""
    result = CatalogueResult()
    header, rows = read_rows(data, file_format)
    missing = [h for key, h in CATALOGUE_COLUMNS if key in CATALOGUE_REQUIRED and h not in header]
    if missing:
        columns = "、".join(missing)
        result.errors.append({"row": 1, "column": columns, "message": _("缺少列：%s") % columns})
        return result
    positions = [header.index(h) if h in header else -1 for _k, h in CATALOGUE_COLUMNS]
    result.scope_given = any(HEADER[key] in header for key in ("scope_diseases", "basic_diseases"))
    categories = _categories()
    seen: dict[str, int] = {}
    for offset, raw in enumerate(rows):
        cells = {
            key: (str(raw[i]).strip() if 0 <= i < len(raw) and raw[i] is not None else "")
            for (key, _h), i in zip(CATALOGUE_COLUMNS, positions, strict=True)
        }
        if not any(cells.values()):
            continue
        errors = _RowErrors(offset + 2)
        row = _catalogue_row(
            cells, errors, seen=seen, categories=categories, disease_codes=disease_codes
        )
        result.errors.extend(errors.errors)
        if not errors.errors:
            result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append({"row": 2, "column": "", "message": _("文件中没有数据行")})
    return result
