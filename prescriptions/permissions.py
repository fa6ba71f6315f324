"""Access helpers: 404 for absent and for another pharmacy's (or region's) objects."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.principal import Principal
from patients.selectors import patients_for_principal
from prescriptions.models import Dispensing, Prescription
from prescriptions.selectors import (
    counter_prescriptions_q,
    dispensings_for_principal,
    prescriptions_for_principal,
)


def access_dispensing_for_principal(principal: Principal, pk: int) -> Dispensing:
    return get_object_or_404(dispensings_for_principal(principal), pk=pk)


def access_prescription_for_counter(principal: Principal, pk: int) -> Prescription:
    """A prescription of a patient who chose the caller's pharmacy (the counter may dispense)."""
    return get_object_or_404(
        Prescription.objects.filter(patient__in=patients_for_principal(principal).values("pk"))
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
