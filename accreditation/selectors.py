"""Reads other apps use: is a pharmacy designated (or within its transition) on a date."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from accreditation.models import Designation, DesignationStatus
from pharmacies.models import Pharmacy
from programmes.models import Programme


def _settling_on(on: date) -> Q:
    active = Q(status=DesignationStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on)
    # HY-C06: a revoked pharmacy's patients may still settle there until the transition ends.
    transition = Q(status=DesignationStatus.REVOKED, starts_on__lte=on, settle_until__gte=on)
    return active | transition


def pharmacy_may_settle(*, pharmacy: Pharmacy, programme: Programme, on: date) -> bool:
    """The pharmacy is designated for the programme on `on`, or within a revocation transition."""
    return Designation.objects.filter(
        _settling_on(on), pharmacy=pharmacy, programme=programme
    ).exists()


def designated_pharmacies(*, programme: Programme, on: date) -> QuerySet[Pharmacy]:
    """Pharmacies that may settle for the programme on `on`."""
    ids = Designation.objects.filter(_settling_on(on), programme=programme).values("pharmacy_id")
    return Pharmacy.objects.filter(pk__in=ids).select_related("organisation")
