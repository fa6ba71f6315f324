"""The allowed status moves, as data (one table per stateful model)."""

from __future__ import annotations

from accreditation.models import Application, ApplicationEvent, Designation, DesignationEvent
from accreditation.models import ApplicationStatus as A
from accreditation.models import DesignationStatus as D
from core.transitions import Workflow, register

APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFT: frozenset({A.SUBMITTED}),
    A.SUBMITTED: frozenset({A.ACCEPTED}),
    A.ACCEPTED: frozenset({A.SUPPLEMENT, A.INSPECTION, A.FAILED}),
    A.SUPPLEMENT: frozenset({A.ACCEPTED}),
    A.INSPECTION: frozenset({A.SUPPLEMENT, A.PASSED, A.FAILED}),
    A.PASSED: frozenset({A.SIGNED}),
}
APPLICATION_FINAL = frozenset({A.FAILED, A.SIGNED})
# Applications still open: one per pharmacy × programme at a time.
APPLICATION_OPEN = frozenset(set(A.values) - APPLICATION_FINAL)

DESIGNATION_TRANSITIONS: dict[str, frozenset[str]] = {
    # ACTIVE → ACTIVE is a yearly renewal (HY-E09).
    D.ACTIVE: frozenset({D.ACTIVE, D.RECTIFICATION, D.SUSPENDED, D.TERMINATED, D.EXPIRED}),
    D.RECTIFICATION: frozenset({D.ACTIVE, D.REVOKED, D.SUSPENDED, D.TERMINATED}),
    D.SUSPENDED: frozenset({D.ACTIVE, D.TERMINATED}),
}
DESIGNATION_FINAL = frozenset({D.REVOKED, D.TERMINATED, D.EXPIRED})


APPLICATION = register(
    Workflow(
        model=Application,
        table=APPLICATION_TRANSITIONS,
        event_model=ApplicationEvent,
        event_key="application",
    )
)
DESIGNATION = register(
    Workflow(
        model=Designation,
        table=DESIGNATION_TRANSITIONS,
        event_model=DesignationEvent,
        event_key="designation",
    )
)
