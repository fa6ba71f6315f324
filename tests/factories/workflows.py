"""One maker per registered workflow (core.transitions): each returns a saved instance of the
workflow's model, in any state; tests/core/test_transitions.py puts it in every state in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import models

from accreditation.models import Application, Designation, DesignationStatus
from inventory.models import Stocktake


def _application() -> Application:
    from tests.accreditation.helpers import draft, hy, manager_of, pharmacy

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


def _stocktake() -> Stocktake:
    from tests.accreditation.helpers import hy, pharmacy

    return Stocktake.objects.create(
        pharmacy=pharmacy(),
        programme=hy(),
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        due_on=date(2026, 7, 10),
    )


# Workflow label ("app_label.Model") → maker. A registered workflow without a maker fails the
# transition test: add one here when you register a workflow.
MAKERS: dict[str, Callable[[], models.Model]] = {
    "accreditation.Application": _application,
    "accreditation.Designation": _designation,
    "inventory.Stocktake": _stocktake,
}
