from __future__ import annotations

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
