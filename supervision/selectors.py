from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from inventory.selectors import Metric, price_compliance_by_pharmacy
from pharmacies.models import Pharmacy
from pharmacies.selectors import pharmacies_for_principal
from programmes.models import Programme
from programmes.selectors import programmes_for_principal
from supervision.models import Finding


def findings_for_principal(principal: Principal) -> QuerySet[Finding]:
    """Bureau staff: findings about organisations of their region; others: none."""
    if not principal.is_bureau:
        return Finding.objects.none()
    return Finding.objects.filter(
        organisation__region_id__in=region_ids_for_principal(principal)
    ).select_related("organisation", "pharmacy")


@dataclass(frozen=True)
class PriceComplianceTable:
    """HY-B02 / GY-C01 for one programme: each pharmacy of the principal's region covered by
    it, with its price compliance (None: no sale with a reference price yet)."""

    programme: Programme
    rows: list[tuple[Pharmacy, Metric | None]]


def price_compliance_for_principal(principal: Principal) -> list[PriceComplianceTable]:
    """Bureau staff: per programme of their region, the price compliance of its pharmacies in
    their region (a constant number of statements: programmes, pharmacies, one per programme)."""
    if not principal.is_bureau:
        return []
    pharmacies = list(pharmacies_for_principal(principal).order_by("organisation__name"))
    tables = []
    for programme in programmes_for_principal(principal).prefetch_related("regions"):
        region_ids = {r.pk for r in programme.regions.all()}
        covered = [p for p in pharmacies if p.organisation.region_id in region_ids]
        metrics = price_compliance_by_pharmacy(
            programme=programme, pharmacy_ids=[p.pk for p in covered]
        )
        tables.append(PriceComplianceTable(programme, [(p, metrics.get(p.pk)) for p in covered]))
    return tables
