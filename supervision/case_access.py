"""Reads and access helpers of inspection cases: bureau staff of the pharmacy's region read a
case; only its owner and assigned inspectors (django-guardian grants) edit it (else 403);
another region, a pharmacy or a hospital gets 404 for "absent" and "not yours" alike."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import BUREAU_KINDS, User
from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from supervision.case_models import InspectionCase, RandomDraw
from supervision.case_services import case_may_edit


def cases_for_principal(principal: Principal) -> QuerySet[InspectionCase]:
    """Bureau staff: the cases about pharmacies of their region; others: none."""
    if not principal.is_bureau:
        return InspectionCase.objects.none()
    return InspectionCase.objects.filter(
        pharmacy__organisation__region_id__in=region_ids_for_principal(principal)
    ).select_related("pharmacy__organisation", "programme", "owner", "violation")


def draws_for_principal(principal: Principal) -> QuerySet[RandomDraw]:
    if not principal.is_bureau:
        return RandomDraw.objects.none()
    return RandomDraw.objects.filter(
        region_id__in=region_ids_for_principal(principal)
    ).select_related("programme", "region", "drawn_by")


def access_case(principal: Principal, pk: int, *, write: bool = False) -> InspectionCase:
    """The case if the principal may see it (else 404); with write, only its owner or an
    assigned inspector (else 403)."""
    case = get_object_or_404(cases_for_principal(principal), pk=pk)
    if write and (principal.user is None or not case_may_edit(case, principal.user)):
        raise PermissionDenied
    return case


def access_draw(principal: Principal, pk: int) -> RandomDraw:
    return get_object_or_404(draws_for_principal(principal), pk=pk)


def inspector_candidates(principal: Principal) -> QuerySet[User]:
    """Bureau staff of the principal's region, to be named inspectors (the service re-checks
    that each covers the case's pharmacy)."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organisation__kind__in=BUREAU_KINDS,
            memberships__organisation__region_id__in=region_ids_for_principal(principal),
        )
        .distinct()
        .order_by("full_name", "pk")
    )
