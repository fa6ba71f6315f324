"""Access helpers: 404 for absent and for another pharmacy's (or region's) objects."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import OrganisationKind
from accounts.principal import Principal
from patients.selectors import patients_for_principal
from prescriptions.models import Dispensing, Prescription
from prescriptions.selectors import (
    counter_access_q,
    counter_prescriptions_q,
    dispensings_for_principal,
    prescriptions_for_principal,
)


def access_dispensing_for_principal(principal: Principal, pk: int) -> Dispensing:
    return get_object_or_404(dispensings_for_principal(principal), pk=pk)


def access_prescription_for_counter(principal: Principal, pk: int) -> Prescription:
    """A prescription of a patient who chose the caller's pharmacy (the counter may dispense)."""
    qs = Prescription.objects.select_related(
        "programme", "patient", "disease", "institution", "physician"
    )
    if principal.organisation.kind == OrganisationKind.PHARMACY:
        # The same scope as patients_for_principal, asked of this one patient (an index
        # lookup, not the list of all the pharmacy's patients); the POS API asks the same
        # condition in its one read (`counter_read`).
        return get_object_or_404(qs.filter(counter_access_q(principal.organisation)), pk=pk)
    return get_object_or_404(
        qs.filter(counter_prescriptions_q(principal.organisation.pk)).filter(
            patient__in=patients_for_principal(principal).values("pk")
        ),
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
