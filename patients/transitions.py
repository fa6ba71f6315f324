"""The patients' workflows (core.transitions): filings, enrolments, chosen institutions and
retained cards, each with its table (patients.models) and its event rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from core import event_messages
from core.event_messages import Reason
from core.transitions import Workflow, register
from patients.models import (
    CHOICE_TRANSITIONS,
    ENROLMENT_TRANSITIONS,
    FILING_TRANSITIONS,
    RETENTION_TRANSITIONS,
    CardRetention,
    ChoiceEvent,
    Enrolment,
    EnrolmentEvent,
    Filing,
    FilingEvent,
    InstitutionChoice,
    RetentionEvent,
)

FILING = register(
    Workflow(model=Filing, table=FILING_TRANSITIONS, event_model=FilingEvent, event_key="filing")
)
ENROLMENT = register(
    Workflow(
        model=Enrolment,
        table=ENROLMENT_TRANSITIONS,
        event_model=EnrolmentEvent,
        event_key="enrolment",
    )
)
CHOICE = register(
    Workflow(
        model=InstitutionChoice,
        table=CHOICE_TRANSITIONS,
        event_model=ChoiceEvent,
        event_key="choice",
        default_rule_id="HY-G05",
    )
)
RETENTION = register(
    Workflow(
        model=CardRetention,
        table=RETENTION_TRANSITIONS,
        event_model=RetentionEvent,
        event_key="retention",
        default_rule_id="HY-E08",
    )
)


def opened(
    workflow: Workflow,
    obj: models.Model,
    *,
    actor: Any,
    rule_id: str = "",
    reason: str | Reason = "",
    event_fields: Mapping[str, Any] | None = None,
) -> None:
    """The event row of a new object: from no state to its first one (a filing lodged, an
    enrolment started, an institution chosen, a retention applied for)."""
    workflow.event_model._default_manager.create(
        **{workflow.event_key: obj},
        old_status="",
        new_status=getattr(obj, workflow.status_field),
        actor=actor,
        **event_messages.event_fields(reason),
        rule_id=rule_id or workflow.default_rule_id,
        **(event_fields or {}),
    )
