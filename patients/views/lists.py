"""The columns and filters of the patients app's list pages (core.lists): each cell is
computed from the row in the view, personal data masked alike in the page and its export."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.principal import Principal
from core.lists import Filter, Search
from core.models import AuditAction
from core.tables import Cell, Column
from patients.models import (
    CardRetention,
    Filing,
    FilingStatus,
    HospitalStay,
    Patient,
    RetentionReason,
    RetentionStatus,
    Roster,
    StaySource,
)
from programmes.models import Disease
from programmes.selectors import programmes_for_principal


def _patient(p: Patient) -> str:
    return f"{p.name}（{p.masked_id}）"


def filing_columns() -> list[Column[Filing]]:
    return [
        Column(
            "number",
            _("申报编号"),
            lambda f: Cell(f.number, url=reverse("patients:filing_detail", args=[f.pk])),
            "number",
        ),
        Column("patient", _("患者"), lambda f: _patient(f.patient), "patient__name"),
        Column("disease", _("病种"), lambda f: f.disease.name, "disease__code"),
        Column("round", _("申报批次"), lambda f: f.round_label or "—", "round_label"),
        Column("window", _("受理窗口"), lambda f: f.window.name, "window__name"),
        Column("lodged_on", _("受理日期"), lambda f: f.lodged_on, "lodged_on"),
        Column("status", _("状态"), lambda f: f.get_status_display(), "status"),
    ]


def filing_search() -> Search:
    return Search(
        fields=("patient__name__icontains", "number__icontains"),
        placeholder=_("患者姓名或申报编号"),
        blind=("patient__resident_id_index",),
    )


def patient_search() -> Search:
    return Search(
        fields=("name__icontains", "social_security_card_no"),
        placeholder=_("姓名或社会保障卡号"),
        blind=("resident_id_index",),
    )


def audit_resident_id_search(request: HttpRequest) -> Callable[[str], None]:
    """A lookup by resident ID is a read of whoever it finds (the audit masks the ID)."""

    def record(value: str) -> None:
        audit(request, action=AuditAction.RECORD_SEARCH, detail=f"resident_id {value.upper()}")

    return record


def filing_filters(principal: Principal, filings: QuerySet[Filing]) -> list[Filter]:
    """Status, round (those of the page's own filings), disease and programme (the region's)."""
    diseases = list(
        Disease.objects.filter(programme__in=programmes_for_principal(principal))
        .select_related("programme")
        .order_by("programme__code", "code")
    )
    programmes = {d.programme_id: d.programme.name for d in diseases}
    rounds = (
        filings.exclude(round_label="")
        .order_by("-round_label")
        .values_list("round_label", flat=True)
        .distinct()
    )
    return [
        Filter("status", _("状态"), FilingStatus.choices, "status"),
        Filter("round", _("申报批次"), [(r, r) for r in rounds], "round_label"),
        Filter("disease", _("病种"), [(d.pk, d.name) for d in diseases], "disease_id"),
        Filter("programme", _("方案"), list(programmes.items()), "disease__programme_id"),
    ]


def patient_columns() -> list[Column[Patient]]:
    return [
        Column(
            "name",
            _("姓名"),
            lambda p: Cell(p.name, url=reverse("patients:patient_detail", args=[p.pk])),
            "name",
        ),
        Column("resident_id", _("身份证号"), lambda p: p.masked_id),
        Column(
            "insured_type", _("参保类型"), lambda p: p.get_insured_type_display(), "insured_type"
        ),
        Column("township", _("乡镇"), lambda p: p.township, "township"),
        Column("created_at", _("登记时间"), lambda p: p.created_at, "created_at"),
    ]


def roster_columns() -> list[Column[Roster]]:
    return [
        Column(
            "number",
            _("名册编号"),
            lambda r: Cell(r.number, url=reverse("patients:roster_detail", args=[r.pk])),
            "number",
        ),
        Column("hospital", _("医院"), lambda r: r.hospital.name, "hospital__name"),
        Column("count", _("人数"), lambda r: getattr(r, "filing_count", 0), "filing_count"),
        Column("submitted_at", _("报送时间"), lambda r: r.submitted_at, "submitted_at"),
    ]


def stay_columns() -> list[Column[HospitalStay]]:
    return [
        Column("patient", _("患者"), lambda s: _patient(s.patient), "patient__name"),
        Column("admitted_on", _("入院"), lambda s: s.admitted_on, "admitted_on"),
        Column("discharged_on", _("出院"), lambda s: s.discharged_on or _("在院"), "discharged_on"),
        Column("source", _("来源"), lambda s: s.get_source_display(), "source"),
    ]


def stay_search() -> Search:
    return Search(
        fields=("patient__name__icontains",),
        placeholder=_("患者姓名"),
        blind=("patient__resident_id_index",),
    )


def stay_filters() -> list[Filter]:
    """In hospital or discharged (the view annotates `in_hospital`), and the source."""
    return [
        Filter(
            "in_hospital", _("在院情况"), [("in", _("在院")), ("out", _("已出院"))], "in_hospital"
        ),
        Filter("source", _("来源"), StaySource.choices, "source"),
    ]


def retention_columns() -> list[Column[CardRetention]]:
    return [
        Column("patient", _("患者"), lambda r: _patient(r.patient), "patient__name"),
        Column("pharmacy", _("药店"), lambda r: r.pharmacy.name, "pharmacy__name"),
        Column("applied_at", _("备案时间"), lambda r: r.applied_at, "applied_at"),
        Column("reason", _("原因"), lambda r: r.get_reason_category_display(), "reason_category"),
        Column("status", _("状态"), lambda r: r.get_status_display(), "status"),
        Column("retained_on", _("留存"), lambda r: r.retained_on or "—", "retained_on"),
        Column("returned_on", _("归还"), lambda r: r.returned_on or "—", "returned_on"),
    ]


def retention_search() -> Search:
    return Search(
        fields=("patient__name__icontains", "pharmacy__name__icontains"),
        placeholder=_("患者姓名或药店"),
        blind=("patient__resident_id_index",),
    )


def retention_filters() -> list[Filter]:
    return [
        Filter("status", _("状态"), RetentionStatus.choices, "status"),
        Filter("reason", _("原因"), RetentionReason.choices, "reason_category"),
    ]
