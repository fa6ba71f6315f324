"""One maker per registered workflow (core.transitions): each returns a saved instance of the
workflow's model, in any state; tests/core/test_transitions.py puts it in every state in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import models

from accreditation.models import Application, Designation, DesignationStatus


def _application() -> Application:
    from tests.factories.accreditation import draft, hy, manager_of, pharmacy

    p = pharmacy()
    return draft(p, hy(), manager_of(p))


def _designation() -> Designation:
    application = _application()
    return Designation.objects.create(
        pharmacy=application.pharmacy,
        programme=application.programme,
        application=application,
        status=DesignationStatus.ACTIVE,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )


def _finding() -> models.Model:
    from accounts.models import Organisation, OrganisationKind
    from supervision.models import FindingKind
    from supervision.services import finding_raise
    from tests.factories import region

    organisation = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name="线索测试药房", region=region()
    )
    finding, _ = finding_raise(
        rule_id="HY-E06",
        organisation=organisation,
        kind=FindingKind.OTHER,
        summary="walk",
        dedupe_key=f"walk-{organisation.pk}",
    )
    return finding


# Workflow label ("app_label.Model") → maker. A registered workflow without a maker fails the
# transition test: add one here when you register a workflow.
MAKERS: dict[str, Callable[[], models.Model]] = {
    "accreditation.Application": _application,
    "accreditation.Designation": _designation,
    "supervision.Finding": _finding,
}
