"""The allowed status moves of a dispensing, as data, registered with core.transitions."""

from __future__ import annotations

from core.transitions import Workflow, register
from prescriptions.models import Dispensing, DispensingEvent
from prescriptions.models import DispensingStatus as S

# A dispensing is born settled (its first event row: "" → settled, written with the sale);
# a return reverses it whole.
DISPENSING_TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({S.SETTLED}),
    S.SETTLED: frozenset({S.RETURNED}),
}
DISPENSING_FINAL = frozenset({S.RETURNED})

DISPENSING = register(
    Workflow(
        model=Dispensing,
        table=DISPENSING_TRANSITIONS,
        event_model=DispensingEvent,
        event_key="dispensing",
    )
)
