from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from accounts.models import Region
from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from programmes.models import Programme


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
