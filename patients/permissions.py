"""Access helpers: 404 for absent and for "not yours" alike."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.principal import Principal
from patients.models import CardRetention, Filing, FilingMaterial, Patient, Roster
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
