"""The allowed status moves of a stocktake, as data (HY-E06)."""

from __future__ import annotations

from core.transitions import Workflow, register
from inventory.models import Stocktake, StocktakeEvent
from inventory.models import StocktakeStatus as S

STOCKTAKE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.SUBMITTED}),
    # The bureau accepts, or returns the sheet for a recount.
    S.SUBMITTED: frozenset({S.ACCEPTED, S.OPEN}),
}
STOCKTAKE_FINAL = frozenset({S.ACCEPTED})

STOCKTAKE = register(
    Workflow(
        model=Stocktake,
        table=STOCKTAKE_TRANSITIONS,
        event_model=StocktakeEvent,
        event_key="stocktake",
        default_rule_id="HY-E06",
    )
)
