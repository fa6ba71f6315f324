"""The prescription and dispensing list pages (core.lists): search by patient name, number
or drug, filters, sort, pagination and the xlsx of what is filtered, scoped by the existing
selectors; each cell computed here, the patient's resident ID masked in page and export."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import DateField, QuerySet
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import principal_of
from accounts.principal import Principal
from core.lists import Filter, Search, list_page
from core.tables import Cell, Column
from core.validators import mask_resident_id
from inventory.selectors import pharmacies_for_principal
from patients.models import Patient
from prescriptions.models import (
    Dispensing,
    DispensingStatus,
    Prescription,
    PrescriptionKind,
    PrescriptionSource,
)
from prescriptions.selectors import dispensings_for_principal, prescription_list_for_principal

MONTHS = 36


def _months(rows: QuerySet[Any]) -> list[tuple[str, str]]:
    """The months the page's own rows fall in (annotated `month`), newest first: one query."""
    months = rows.order_by("-month").values_list("month", flat=True).distinct()[:MONTHS]
    return [(m.isoformat(), f"{m:%Y-%m}") for m in months if m]


def _patient(p: Patient) -> str:
    return f"{p.name}（{mask_resident_id(p.resident_id)}）"


def _pharmacy_filter(principal: Principal, lookup: str) -> list[Filter]:
    """Bureau staff filter by pharmacy (their region's); a pharmacy sees its own only."""
    if not principal.is_bureau:
        return []
    shops = pharmacies_for_principal(principal).order_by("organisation__name")
    return [Filter("pharmacy", _("药店"), [(s.pk, s.name) for s in shops], lookup)]


def _items(p: Prescription) -> str:
    return "；".join(
        f"{i.drug.generic_name} {i.dispensed_quantity}/{i.quantity}" for i in p.items.all()
    )


def _prescription_columns() -> list[Column[Prescription]]:
    def number(p: Prescription) -> Cell:
        return Cell(p.number, url=reverse("prescriptions:prescription", args=[p.pk]))

    return [
        Column("number", _("处方编号"), number, "number"),
        Column("issued_on", _("开具日期"), lambda p: p.issued_on, "issued_on"),
        Column("patient", _("患者"), lambda p: _patient(p.patient), "patient__name"),
        Column("disease", _("病种"), lambda p: p.disease.name if p.disease else "—", "disease"),
        Column("source", _("来源"), lambda p: p.get_source_display(), "source"),
        Column("kind", _("类型"), lambda p: p.get_kind_display(), "kind"),
        Column(
            "institution",
            _("开方机构 / 医师"),
            lambda p: f"{p.institution_name} {p.physician_name}",
            "institution_name",
        ),
        Column("items", _("药品（已配/开具）"), _items),
    ]


def prescription_list_page(request: HttpRequest) -> HttpResponse:
    """A hospital's issued prescriptions (the physician's own unless `all=1`), a pharmacy's
    recorded or dispensed ones; each with what is left to dispense."""
    principal = principal_of(request)
    is_physician = principal.has_role(Role.PHYSICIAN)
    mine = is_physician and request.GET.get("all") != "1"
    rows = prescription_list_for_principal(principal).annotate(
        month=TruncMonth("issued_on", output_field=DateField())
    )
    if mine:
        rows = rows.filter(physician=cast(User, request.user))
    filters = [
        Filter("source", _("来源"), PrescriptionSource.choices, "source"),
        Filter("kind", _("类型"), PrescriptionKind.choices, "kind"),
        Filter("month", _("月份"), _months(rows), "month"),
    ]
    result = list_page(
        request,
        rows.distinct(),  # a drug search joins the items
        _prescription_columns(),
        empty=_("暂无处方。"),
        search=Search(
            fields=(
                "patient__name__icontains",
                "number__icontains",
                "items__drug__generic_name__icontains",
            ),
            placeholder=_("患者姓名、处方编号或药品"),
        ),
        filters=filters,
        default_sort="-issued_on",
        table_id="prescriptions",
        export_name=_("处方记录"),
    )
    if isinstance(result, HttpResponse):
        return result
    context: dict[str, Any] = {
        "list": result,
        "table": result.table,
        "mine": mine,
        "is_physician": is_physician,
        # The search form keeps the physician's "whole hospital" choice.
        "list_keep": [] if mine or not is_physician else [("all", "1")],
    }
    return render(request, "prescriptions/prescription_list.html", context)


def _dispensing_columns() -> list[Column[Dispensing]]:
    def number(d: Dispensing) -> Cell:
        return Cell(d.number, url=reverse("prescriptions:dispensing", args=[d.pk]))

    def patient(d: Dispensing) -> str:
        return _patient(d.patient) + (_("（代购）") if d.is_proxy else "")

    def status(d: Dispensing) -> Cell:
        tone = "ok" if d.status == DispensingStatus.SETTLED else "warn"
        return Cell(d.get_status_display(), badge=tone)

    return [
        Column("number", _("结算单号"), number, "number"),
        Column("dispensed_at", _("时间"), lambda d: d.dispensed_at, "dispensed_at"),
        Column("pharmacy", _("药店"), lambda d: d.pharmacy.name, "pharmacy__organisation__name"),
        Column("patient", _("患者"), patient, "patient__name"),
        Column("disease", _("病种"), lambda d: d.disease.name if d.disease else "", "disease"),
        Column("total", _("总额"), lambda d: d.total, "total"),
        Column("fund", _("统筹基金"), lambda d: d.fund_share, "fund_share"),
        Column("personal", _("个人负担"), lambda d: d.personal_share, "personal_share"),
        Column("status", _("状态"), status, "status"),
    ]


def dispensing_list_page(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    rows = dispensings_for_principal(principal).annotate(
        month=TruncMonth("dispensed_at", output_field=DateField())
    )
    result = list_page(
        request,
        rows.distinct(),  # a drug search joins the lines
        _dispensing_columns(),
        empty=_("暂无记录。"),
        search=Search(
            fields=(
                "patient__name__icontains",
                "number__icontains",
                "lines__drug__generic_name__icontains",
            ),
            placeholder=_("患者姓名、结算单号或药品"),
        ),
        filters=[
            Filter("status", _("状态"), DispensingStatus.choices, "status"),
            Filter("month", _("月份"), _months(rows), "month"),
            *_pharmacy_filter(principal, "pharmacy_id"),
        ],
        default_sort="-dispensed_at",
        table_id="dispensings",
        export_name=_("购药结算记录"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request, "prescriptions/dispensing_list.html", {"list": result, "table": result.table}
    )
