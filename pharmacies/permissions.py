"""Access helpers: 404 for both "absent" and "not yours"."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.principal import Principal
from pharmacies.models import Pharmacy, StaffEvidence, StaffMember
from pharmacies.selectors import evidence_for_principal, pharmacies_for_principal


def own_pharmacy(principal: Principal) -> Pharmacy:
    """The principal's own pharmacy profile; 404 for non-pharmacy organisations."""
    if principal.is_bureau:
        raise Http404
    return get_object_or_404(pharmacies_for_principal(principal))


def access_staff(principal: Principal, pk: int) -> StaffMember:
    return get_object_or_404(
        StaffMember.objects.select_related("pharmacy"),
        pk=pk,
        pharmacy__in=pharmacies_for_principal(principal),
    )


def access_evidence(principal: Principal, pk: int) -> StaffEvidence:
    return get_object_or_404(evidence_for_principal(principal), pk=pk)
