"""Refused counter attempts kept even when the sale rolls back (the supervision engine counts
them through prescriptions.oversight): each is committed on its own (core.autonomous)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from accounts.models import User
from core.autonomous import save_autonomously
from core.errors import RuleViolation
from pharmacies.models import Pharmacy
from prescriptions.models import CounterRefusal, Prescription

# The counter refusals whose repetition is itself a signal (supervision-rules.md: attempts):
# entitlement or quota (HY-G07), hospitalised purchase (HY-G08), swaps and scope (HY-G10),
# price above the cap (HY-B02 / GY-C01). A resold code (GY-E02) is recorded where it is
# detected, with the code.
COUNTED_REFUSALS = frozenset({"HY-G07", "HY-G08", "HY-G10", "HY-B02", "GY-C01"})


def counter_refusal_record(
    *,
    rule_id: str,
    pharmacy: Pharmacy,
    at: datetime,
    prescription: Prescription | None = None,
    actor: User | None = None,
    code: str = "",
    details: dict[str, Any] | None = None,
) -> CounterRefusal:
    """Keep one refused attempt, committed on its own."""
    row = CounterRefusal(
        rule_id=rule_id,
        pharmacy=pharmacy,
        programme_id=prescription.programme_id if prescription else None,
        patient_id=prescription.patient_id if prescription else None,
        prescription=prescription,
        traceability_code=code,
        actor=actor,
        refused_at=at,
        details=details or {},
    )
    save_autonomously(row)
    return row


@contextmanager
def refusals_kept(
    *, pharmacy: Pharmacy, prescription: Prescription, actor: User, at: datetime
) -> Iterator[None]:
    """Record a counted refusal (COUNTED_REFUSALS) raised in the block, then let it go on."""
    try:
        yield
    except RuleViolation as exc:
        if exc.rule_id in COUNTED_REFUSALS:
            counter_refusal_record(
                rule_id=exc.rule_id,
                pharmacy=pharmacy,
                at=at,
                prescription=prescription,
                actor=actor,
                details={"message": str(exc.message)},
            )
        raise
