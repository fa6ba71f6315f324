from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from core.lists import Filter
from programmes.models import Disease, DiseaseStandard, Programme, ReferenceVersion


def programmes_for_principal(principal: Principal) -> QuerySet[Programme]:
    """Programmes that apply in the principal's region (bureau: its subtree)."""
    if principal.is_bureau:
        region_ids = region_ids_for_principal(principal)
    else:
        # An institution is covered by programmes of its region and of the regions above it.
        region_ids = []
        region: Region | None = principal.organisation.region
        while region is not None:
            region_ids.append(region.pk)
            region = region.parent
    return Programme.objects.filter(regions__in=region_ids).distinct().order_by("code")


def near_expiry_days_default(*, on: date) -> int | None:
    """The near-expiry window for a pharmacy that no programme of its region gives one: the
    widest among the programmes in force on `on` (warning early is the safe side); None when
    no programme sets one."""
    days = [
        p.near_expiry_days
        for p in Programme.objects.filter(near_expiry_days__isnull=False)
        if p.is_in_force(on)
    ]
    return max(days, default=None)


def standards_in_force(*, on: date) -> QuerySet[DiseaseStandard]:
    """HY-G07: every disease's standards of the versions in force on `on`, the one in force
    first (filter by disease; the first row is the disease's standard)."""
    return DiseaseStandard.objects.filter(version__effective_from__lte=on).order_by(
        "-version__effective_from", "-version__number"
    )


def standard_in_force(*, disease_id: int, on: date) -> DiseaseStandard | None:
    """HY-G07: the disease's payment standard of the reference version in force on `on` (the
    latest effective date on or before it; of two versions from the same date, the later
    loaded). None: no version covers the date (the disease pays nothing then)."""
    return standards_in_force(on=on).filter(disease_id=disease_id).select_related("version").first()


def fund_share_in_force(*, disease: Disease, on: date) -> Decimal:
    """HY-G07: the fund's percentage for a sale of `disease` on `on` (0 with no standard). The
    counter's read supplies it with the prescription (`fund_share_on`), saving a statement."""
    known = getattr(disease, "fund_share_on", None)
    if known is not None and known[0] == on:
        return cast(Decimal, known[1])
    standard = standard_in_force(disease_id=disease.pk, on=on)
    return standard.fund_share_pct if standard is not None else Decimal("0")


def version_in_force(*, programme: Programme, on: date) -> ReferenceVersion | None:
    """The programme's reference version in force on `on` (see standard_in_force)."""
    return (
        ReferenceVersion.objects.filter(programme=programme, effective_from__lte=on)
        .order_by("-effective_from", "-number")
        .first()
    )


def programme_filter(programmes: Iterable[Programme], lookup: str = "programme__code") -> Filter:
    """The 方案 filter of a list page (core.lists): the principal's programmes by code, which
    also keeps old `?programme=HY-TM` links working."""
    return Filter("programme", _("方案"), [(p.code, p.short_name) for p in programmes], lookup)
