from __future__ import annotations

from django.db.models import QuerySet

from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from supervision.models import Finding


def findings_for_principal(principal: Principal) -> QuerySet[Finding]:
    """Bureau staff: findings about organisations of their region; others: none."""
    if not principal.is_bureau:
        return Finding.objects.none()
    return Finding.objects.filter(
        organisation__region_id__in=region_ids_for_principal(principal)
    ).select_related("organisation", "pharmacy")
