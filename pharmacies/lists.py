"""The staff list's columns, search and filters (core.lists). A person's resident ID is never
shown in full and never searched by a URL: only by its full value through the blind index."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core.lists import Filter, Search
from core.tables import Cell, Column
from pharmacies.models import FilingStatus, StaffMember, StaffPost


def _pharmacist(s: StaffMember) -> str:
    if not s.licensed_pharmacist:
        return "—"
    return _("是（注册在本店）") if s.registered_here else _("是")


def _filing(s: StaffMember) -> Any:
    if not s.licensed_pharmacist:
        return "—"
    shown = s.get_filing_status_display()
    return f"{shown}（{s.filed_on:%Y-%m-%d}）" if s.filed_on else shown


def staff_columns() -> list[Column[StaffMember]]:
    def name(s: StaffMember) -> Cell:
        return Cell(s.name, url=reverse("pharmacies:staff_detail", args=[s.pk]))

    return [
        Column("name", _("姓名"), name, "name"),
        Column("post", _("岗位"), lambda s: s.get_post_display(), "post"),
        Column("resident_id", _("身份证号"), lambda s: s.masked_resident_id),
        Column("pharmacist", _("执业药师"), _pharmacist, "licensed_pharmacist"),
        Column("filing", _("医保中心备案"), _filing, "filing_status"),
        Column("hired", _("入职"), lambda s: s.hired_on, "hired_on"),
        Column("left", _("离职"), lambda s: s.left_on or "—", "left_on"),
        Column("evidence", _("材料"), lambda s: len(s.evidence.all())),
    ]


def staff_search() -> Search:
    return Search(
        fields=("name__icontains", "certificate_no__iexact"),
        placeholder=_("姓名或执业药师注册证编号"),
        blind=("resident_id_index",),
    )


def staff_filters() -> list[Filter]:
    yes_no = [("1", _("是")), ("0", _("否"))]
    return [
        Filter("post", _("岗位"), StaffPost.choices, "post"),
        Filter("pharmacist", _("执业药师"), yes_no, "licensed_pharmacist"),
        Filter("filing", _("医保中心备案"), FilingStatus.choices, "filing_status"),
    ]
