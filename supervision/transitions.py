"""The allowed moves of a finding under review, as data, and its workflow (core.transitions)."""

from __future__ import annotations

from core.transitions import Workflow, register
from supervision.models import Finding, FindingEvent
from supervision.models import FindingStatus as F

FINDING_TRANSITIONS: dict[str, frozenset[str]] = {
    F.OPEN: frozenset({F.IN_REVIEW, F.CLOSED}),
    F.IN_REVIEW: frozenset({F.CLOSED, F.OPEN}),
}
FINDING_FINAL = frozenset({F.CLOSED})

FINDING = register(
    Workflow(
        model=Finding,
        table=FINDING_TRANSITIONS,
        event_model=FindingEvent,
        event_key="finding",
    )
)


# --- Inspection cases (issue 17.2): opened, scheduled with inspectors, concluded or cancelled.
from supervision.case_models import CaseEvent, InspectionCase  # noqa: E402
from supervision.case_models import CaseStatus as C  # noqa: E402

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.OPEN: frozenset({C.SCHEDULED, C.CANCELLED}),
    C.SCHEDULED: frozenset({C.CONCLUDED, C.CANCELLED}),
}
CASE_FINAL = frozenset({C.CONCLUDED, C.CANCELLED})

CASE = register(
    Workflow(
        model=InspectionCase,
        table=CASE_TRANSITIONS,
        event_model=CaseEvent,
        event_key="case",
        default_rule_id="HY-E10",
    )
)
