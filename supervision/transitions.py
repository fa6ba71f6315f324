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
