"""The columns, searches and filters of the inventory list pages (core.lists): the drug
catalogue, the stock ledger, purchase imports and stocktakes. The views scope the rows."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.lists import Filter, Search
from core.tables import Cell, Column
from inventory.models import (
    Drug,
    ItemCategory,
    Movement,
    PurchaseImport,
    PurchaseImportStatus,
    Stocktake,
    StocktakeStatus,
)
from programmes.selectors import programme_filter


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _yes_no() -> list[tuple[str, Any]]:
    return [("1", _("是")), ("0", _("否"))]


def catalogue_columns(can_edit: bool) -> list[Column[Drug]]:
    def code(d: Drug) -> Cell:
        url = reverse("inventory:drug", args=[d.pk]) if can_edit else ""
        return Cell(d.insurance_code, url=url)

    return [
        Column("code", _("国家医保药品编码"), code, "insurance_code"),
        Column("name", _("通用名"), lambda d: d.generic_name, "generic_name"),
        Column("form", _("剂型"), lambda d: d.dosage_form, "dosage_form"),
        Column("spec", _("规格"), lambda d: d.specification),
        Column("maker", _("生产厂商"), lambda d: d.manufacturer, "manufacturer"),
        Column("approval", _("批准文号"), lambda d: d.approval_number),
        Column("category", _("类别"), lambda d: d.get_category_display(), "category"),
        Column("therapeutic", _("治疗性"), lambda d: _("是") if d.is_therapeutic else _("否")),
    ]


CATALOGUE_SEARCH_FIELDS = (
    "generic_name__icontains",
    "insurance_code__iexact",
    "manufacturer__icontains",
    "approval_number__iexact",
)


def catalogue_search() -> Search:
    return Search(
        fields=CATALOGUE_SEARCH_FIELDS, placeholder=_("通用名、医保药品编码、生产厂商或批准文号")
    )


def catalogue_filters() -> list[Filter]:
    return [
        Filter("category", _("类别"), ItemCategory.choices, "category"),
        Filter("therapeutic", _("治疗性"), _yes_no(), "is_therapeutic"),
    ]


def movement_columns() -> list[Column[Movement]]:
    def when(m: Movement) -> Cell:
        return Cell(_when(m.occurred_at), url=reverse("inventory:movement", args=[m.pk]))

    def documents(m: Movement) -> str:
        return " ".join(x for x in (m.invoice_no, m.delivery_note_no, m.reference) if x)

    return [
        Column("time", _("时间"), when, "occurred_at"),
        Column("kind", _("类型"), lambda m: m.get_kind_display(), "kind"),
        Column("drug", _("药品"), lambda m: m.drug.generic_name, "drug__generic_name"),
        Column("batch", _("批号"), lambda m: m.batch.batch_no, "batch__batch_no"),
        Column("quantity", _("数量"), lambda m: m.quantity, "quantity"),
        Column("price", _("单价"), lambda m: m.unit_price if m.unit_price is not None else ""),
        Column("party", _("供货单位/对方单位"), lambda m: f"{m.supplier}{m.counterparty}"),
        Column("documents", _("单据"), documents),
    ]


def movement_search() -> Search:
    return Search(
        fields=(
            "batch__batch_no__iexact",
            "supplier__icontains",
            "counterparty__icontains",
            "invoice_no__iexact",
            "delivery_note_no__iexact",
            "reference__iexact",
        ),
        placeholder=_("批号、供货/对方单位或单据号"),
    )


def import_columns() -> list[Column[PurchaseImport]]:
    def name(r: PurchaseImport) -> Cell:
        return Cell(r.original_name, url=reverse("inventory:import", args=[r.pk]))

    def status(r: PurchaseImport) -> Cell:
        tone = {PurchaseImportStatus.IMPORTED: "ok", PurchaseImportStatus.FAILED: "bad"}
        return Cell(r.get_status_display(), badge=tone.get(r.status, ""))  # type: ignore[call-overload]

    return [
        Column("file", _("文件"), name, "original_name"),
        Column("uploaded", _("上传时间"), lambda r: _when(r.created_at), "created_at"),
        Column("status", _("状态"), status, "status"),
        Column("rows", _("行数"), lambda r: r.row_count, "row_count"),
    ]


def import_filters() -> list[Filter]:
    return [Filter("status", _("状态"), PurchaseImportStatus.choices, "status")]


def stocktake_columns(is_bureau: bool) -> list[Column[Stocktake]]:
    def period(s: Stocktake) -> Cell:
        text = f"{s.period_start:%Y-%m-%d} — {s.period_end:%Y-%m-%d}"
        return Cell(text, url=reverse("inventory:stocktake", args=[s.pk]))

    def balance(s: Stocktake) -> Cell:
        if s.is_imbalanced:
            return Cell(_("账实不符"), badge="bad")
        return Cell(_("相符"), badge="ok") if s.counted_at else Cell("")

    by_name = "pharmacy__organisation__name"
    pharmacy: Column[Stocktake] = Column("pharmacy", _("药店"), lambda s: s.pharmacy.name, by_name)
    return [
        *([pharmacy] if is_bureau else []),
        Column("period", _("盘点期"), period, "period_start"),
        Column("programme", _("方案"), lambda s: s.programme.code, "programme__code"),
        Column("due", _("报送截止日"), lambda s: s.due_on, "due_on"),
        Column("status", _("状态"), lambda s: s.get_status_display(), "status"),
        Column("balance", _("账实"), balance, "is_imbalanced"),
    ]


def stocktake_search() -> Search:
    return Search(
        fields=("pharmacy__organisation__name__icontains", "pharmacy__credit_code__iexact"),
        placeholder=_("药店名称或统一社会信用代码"),
    )


def stocktake_filters(programmes: Any, periods: Any) -> list[Filter]:
    return [
        Filter("status", _("状态"), StocktakeStatus.choices, "status"),
        programme_filter(programmes),
        Filter("period", _("盘点期"), [(d.isoformat(), f"{d:%Y-%m}") for d in periods],
               "period_start"),
        Filter("imbalanced", _("账实不符"), _yes_no(), "is_imbalanced"),
    ]  # fmt: skip
