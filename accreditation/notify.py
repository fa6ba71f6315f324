"""Who is told what (in-app, and by e-mail when configured). Called on commit."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Organisation, OrganisationKind, Role, User
from accreditation.models import Application, ApplicationStatus, Designation, DesignationStatus
from core.notifications import notification_send
from pharmacies.models import Pharmacy


def reviewers_for(pharmacy: Pharmacy) -> QuerySet[User]:
    """Agreement-section reviewers of the pharmacy's region (and the regions above it)."""
    region_ids: list[int] = []
    region = pharmacy.organisation.region
    while region is not None:
        region_ids.append(region.pk)
        region = region.parent  # type: ignore[assignment]
    orgs = Organisation.objects.filter(
        region_id__in=region_ids, kind__in=[OrganisationKind.CENTRE, OrganisationKind.BUREAU]
    )
    return User.objects.filter(
        memberships__organisation__in=orgs,
        memberships__role=Role.BUREAU_REVIEWER,
        memberships__is_active=True,
    ).distinct()


def managers_of(pharmacy: Pharmacy) -> QuerySet[User]:
    return User.objects.filter(
        memberships__organisation_id=pharmacy.organisation_id,
        memberships__role=Role.PHARMACY_MANAGER,
        memberships__is_active=True,
    ).distinct()


def _app(pk: int) -> Application:
    return Application.objects.select_related("pharmacy__organisation__region", "programme").get(
        pk=pk
    )


def application_submitted(pk: int) -> None:
    app = _app(pk)
    notification_send(
        recipients=reviewers_for(app.pharmacy),
        key=f"application:{pk}:submitted",
        message="application_submitted",
        params={"p": app.pharmacy.name, "c": app.programme.code},
        link=reverse("accreditation:review_detail", args=[pk]),
        rule_id="HY-C01",
    )


def application_supplemented(pk: int) -> None:
    app = _app(pk)
    notification_send(
        recipients=reviewers_for(app.pharmacy),
        key=f"application:{pk}:supplemented:{app.paused_days}",
        message="application_supplemented",
        params={"p": app.pharmacy.name, "d": app.evaluation_due_on},
        link=reverse("accreditation:review_detail", args=[pk]),
        rule_id="HY-C02",
    )


def application_status(pk: int) -> None:
    app = _app(pk)
    suffix = app.feedback_sent_on or ""
    notification_send(
        recipients=managers_of(app.pharmacy),
        key=f"application:{pk}:{app.status}:{suffix}:{app.events.count()}",
        message="application_status",
        params={
            "c": app.programme.code,
            "s": ApplicationStatus(app.status).label,
            "note": app.supplement_note if app.status == "supplement" else app.decision_reason,
        },
        link=reverse("accreditation:application_detail", args=[pk]),
    )


def designation_changed(pk: int) -> None:
    designation = Designation.objects.select_related("pharmacy__organisation").get(pk=pk)
    notification_send(
        recipients=managers_of(designation.pharmacy),
        key=f"designation:{pk}:{designation.status}",
        message="designation_status",
        params={"c": designation.programme.code, "s": DesignationStatus(designation.status).label},
        link=reverse("accreditation:designations"),
        rule_id="HY-C05",
    )
