"""Reads other apps use: is a pharmacy designated (or within its transition) on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from accreditation.models import (
    Application,
    ApplicationStatus,
    Designation,
    DesignationStatus,
    Violation,
    ViolationDecision,
)
from pharmacies.models import Pharmacy
from programmes.models import Programme


def _settling_on(on: date) -> Q:
    # A pharmacy under rectification keeps serving until the decision (HY-C05).
    active = Q(
        status__in=[DesignationStatus.ACTIVE, DesignationStatus.RECTIFICATION],
        starts_on__lte=on,
        ends_on__gte=on,
    )
    # HY-C06: a revoked pharmacy's patients may still settle there until the transition ends.
    transition = Q(status=DesignationStatus.REVOKED, starts_on__lte=on, settle_until__gte=on)
    return active | transition


def settling_designations(
    *, pharmacy: Pharmacy, programme: Programme, on: date
) -> QuerySet[Designation]:
    """The pharmacy's designations for the programme that let it settle on `on`."""
    return Designation.objects.filter(_settling_on(on), pharmacy=pharmacy, programme=programme)


def pharmacy_may_settle(*, pharmacy: Pharmacy, programme: Programme, on: date) -> bool:
    """The pharmacy is designated for the programme on `on`, or within a revocation transition."""
    return settling_designations(pharmacy=pharmacy, programme=programme, on=on).exists()


def programmes_settling_at(*, organisation_id: int, on: date) -> QuerySet[Designation, Any]:
    """The programme ids (a subquery) the organisation's pharmacy may settle on `on`."""
    return Designation.objects.filter(
        _settling_on(on), pharmacy__organisation_id=organisation_id
    ).values("programme_id")


def designated_pharmacies(
    *, programme: Programme, on: date, started_by: date | None = None
) -> QuerySet[Pharmacy]:
    """Pharmacies that may settle for the programme on `on` (with a designation that started
    on or before `started_by`, if given)."""
    designations = Designation.objects.filter(_settling_on(on), programme=programme)
    if started_by is not None:
        designations = designations.filter(starts_on__lte=started_by)
    ids = designations.values("pharmacy_id")
    return Pharmacy.objects.filter(pk__in=ids).select_related("organisation")


def organisations_designated_on(*, programme_id: int, on: date) -> QuerySet[Designation, Any]:
    """HY-G05: the organisation ids (a subquery) of the pharmacies designated for the programme
    on `on`: a designation in force that day (active, or under rectification — still
    designated until the decision, HY-C05). A pharmacy that is suspended, revoked (even within
    its HY-C06 transition, which only lets patients who chose it earlier finish there),
    terminated or expired cannot be chosen anew."""
    return Designation.objects.filter(
        programme_id=programme_id,
        status__in=[DesignationStatus.ACTIVE, DesignationStatus.RECTIFICATION],
        starts_on__lte=on,
        ends_on__gte=on,
    ).values("pharmacy__organisation_id")


# --- Applications and designations, scoped to the caller


def applications_for_principal(principal: Principal) -> QuerySet[Application]:
    """Bureau staff: applications of their region (drafts stay private); a pharmacy: its own."""
    qs = Application.objects.select_related("pharmacy", "pharmacy__organisation", "programme")
    if principal.is_bureau:
        return qs.filter(
            pharmacy__organisation__region_id__in=region_ids_for_principal(principal)
        ).exclude(status=ApplicationStatus.DRAFT)
    return qs.filter(pharmacy__organisation=principal.organisation)


def designations_for_principal(principal: Principal) -> QuerySet[Designation]:
    qs = Designation.objects.select_related("pharmacy", "pharmacy__organisation", "programme")
    if principal.is_bureau:
        return qs.filter(pharmacy__organisation__region_id__in=region_ids_for_principal(principal))
    return qs.filter(pharmacy__organisation=principal.organisation)


def days_left(application: Application, today: date) -> int | None:
    """Days until the evaluation due date (negative when overdue); None when not running."""
    if application.evaluation_due_on is None or application.status not in (
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.SUPPLEMENT,
        ApplicationStatus.INSPECTION,
    ):
        return None
    return (application.evaluation_due_on - today).days


WORKLIST_SORTS = {
    "due": ["evaluation_due_on", "id"],
    "submitted": ["submitted_at", "id"],
    "pharmacy": ["pharmacy__organisation__name", "id"],
}


def worklist(
    principal: Principal, *, status: str = "", programme: str = "", sort: str = "due"
) -> QuerySet[Application]:
    qs = applications_for_principal(principal)
    qs = qs.filter(status=status) if status else qs.exclude(status=ApplicationStatus.SIGNED)
    if programme:
        qs = qs.filter(programme__code=programme)
    return qs.order_by(*WORKLIST_SORTS.get(sort, WORKLIST_SORTS["due"]))


def notices_under_way(*, on: date) -> QuerySet[Application]:
    """Public notices running on `on` (HY-C03)."""
    return Application.objects.filter(
        status=ApplicationStatus.PASSED, notice_starts_on__lte=on, notice_ends_on__gte=on
    ).select_related("pharmacy", "pharmacy__organisation", "programme")


def agency_name_for(pharmacy: Pharmacy) -> str:
    """The insurance centre (or bureau) of the pharmacy's region, for official documents."""
    from accounts.models import Organisation, OrganisationKind

    org = (
        Organisation.objects.filter(
            region_id=pharmacy.organisation.region_id,
            kind__in=[OrganisationKind.CENTRE, OrganisationKind.BUREAU],
        )
        .order_by("-kind")
        .first()
    )
    return org.name if org else ""


# --- Decisions that reach the money (GY-D03): read by the fund statement (prescriptions)


def payment_refusals(*, pharmacy_ids: list[int], start: date, end: date) -> QuerySet[Violation]:
    """HY-E10: the payment refusals (拒付) decided in [start, end) for these pharmacies; each is
    deducted in the fund statement of the month it was decided."""
    return (
        Violation.objects.filter(
            pharmacy_id__in=pharmacy_ids,
            decision=ViolationDecision.REFUSE_PAYMENT,
            refused_amount__isnull=False,
            recorded_at__date__gte=start,
            recorded_at__date__lt=end,
        )
        .select_related("programme")
        .order_by("recorded_at", "id")
    )
