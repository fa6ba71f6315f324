"""Access helpers: 404 for absent and for "not yours" alike."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import OrganisationKind, Role
from accounts.principal import Principal
from accounts.selectors import organisations_visible_to
from patients.models import CardRetention, Filing, FilingMaterial, HospitalStay, Patient, Roster
from patients.selectors import (
    filings_for_principal,
    patients_for_principal,
    retentions_for_principal,
    rosters_for_principal,
)


def access_filing_for_principal(principal: Principal, pk: int) -> Filing:
    return get_object_or_404(filings_for_principal(principal), pk=pk)


def access_material_for_principal(principal: Principal, pk: int) -> FilingMaterial:
    material = get_object_or_404(FilingMaterial, pk=pk)
    if not filings_for_principal(principal).filter(pk=material.filing_id).exists():
        raise Http404
    return material


def access_patient_for_principal(principal: Principal, pk: int) -> Patient:
    return get_object_or_404(patients_for_principal(principal), pk=pk)


def access_roster_for_principal(principal: Principal, pk: int) -> Roster:
    return get_object_or_404(rosters_for_principal(principal), pk=pk)


def access_retention_for_principal(principal: Principal, pk: int) -> CardRetention:
    return get_object_or_404(retentions_for_principal(principal), pk=pk)


# HY-G08 data: who records and discharges a hospital's stays. The window clerk registers 特门
# patients at the hospital and the physician admits them; a hospital's HIS key acts for the
# hospital. Pharmacists, bureau staff and other windows never record a stay.
STAY_ROLES = frozenset({Role.WINDOW_CLERK, Role.PHYSICIAN})


def assert_may_record_stays(principal: Principal) -> None:
    """A hospital's window clerk or physician (or its system's key); anyone else gets 404."""
    if principal.organisation.kind != OrganisationKind.HOSPITAL:
        raise Http404
    if principal.api_key is None and not principal.has_role(*STAY_ROLES):
        raise Http404


def access_stay_for_principal(
    principal: Principal, pk: int, *, write: bool = False
) -> HospitalStay:
    """Reading: the stays the principal sees (bureau: its region's hospitals); writing
    (discharge): only the hospital that recorded the stay. 404 for absent and not yours."""
    if write:
        assert_may_record_stays(principal)
        return get_object_or_404(HospitalStay, pk=pk, hospital=principal.organisation)
    hospitals = organisations_visible_to(principal).filter(kind=OrganisationKind.HOSPITAL)
    return get_object_or_404(HospitalStay, pk=pk, hospital__in=hospitals)
