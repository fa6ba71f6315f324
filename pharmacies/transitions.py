"""The pharmacist's filing with the county centre (HY-E01), as a workflow (core.transitions)."""

from __future__ import annotations

from core.transitions import Workflow, register
from pharmacies.models import FILING_TRANSITIONS, StaffFilingEvent, StaffMember

STAFF_FILING = register(
    Workflow(
        model=StaffMember,
        table=FILING_TRANSITIONS,
        event_model=StaffFilingEvent,
        event_key="staff",
        status_field="filing_status",
        default_rule_id="HY-E01",
    )
)
