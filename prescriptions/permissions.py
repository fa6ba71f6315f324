"""Access helpers: 404 for absent and for another pharmacy's (or region's) objects."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.principal import Principal
from prescriptions.models import Dispensing, Prescription
from prescriptions.selectors import (
    counter_access_q,
    counter_prescriptions_q,
    dispensings_for_principal,
    prescriptions_for_principal,
)


def access_dispensing_for_principal(principal: Principal, pk: int) -> Dispensing:
    return get_object_or_404(dispensings_for_principal(principal), pk=pk)


def access_dispensing_for_counter(principal: Principal, pk: int) -> Dispensing:
    """A dispensing of the caller's own pharmacy, to return it or register its delivery
    (bureau staff, who see their region's, act on none of them); else 404."""
    dispensing = access_dispensing_for_principal(principal, pk)
    if dispensing.pharmacy.organisation_id != principal.organisation.pk:
        raise Http404
    return dispensing


def access_prescription_for_counter(principal: Principal, pk: int) -> Prescription:
    """A prescription of a patient who chose the caller's pharmacy, or a general-outpatient
    one of a programme the pharmacy is designated for (the counter may dispense). The POS
    API asks the same condition in its one read (`counter_read`)."""
    return get_object_or_404(
        Prescription.objects.filter(counter_access_q(principal, timezone.localdate()))
        .filter(counter_prescriptions_q(principal.organisation.pk))
        .select_related("programme", "patient", "disease", "institution", "physician"),
        pk=pk,
    )


def access_prescription_for_principal(principal: Principal, pk: int) -> Prescription:
    """The issuing hospital's, or a pharmacy's that recorded or dispensed it; else 404."""
    return get_object_or_404(
        prescriptions_for_principal(principal).select_related(
            "programme", "institution", "physician", "recorded_at_pharmacy__organisation"
        ),
        pk=pk,
    )
