"""One status move, done one way: check the workflow's table, lock, save, write the event row,
queue side effects on commit.

Each stateful model declares its `Workflow` next to its transition table (the model, its status
field, the table, the event model and the event's key to the object) and registers it, so that
one parametrised test can walk every table, allowed and forbidden (tests/core/test_transitions.py).
Services call `transition()`; no other code assigns a status
(tests/core/test_status_assignments.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _

from core import event_messages
from core.errors import TransitionNotAllowed
from core.event_messages import Reason

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Workflow:
    """A stateful model's allowed moves and where each move is recorded."""

    model: type[models.Model]
    table: Mapping[str, frozenset[str]]
    event_model: type[models.Model]
    # The event model's foreign key to the object ("application", "filing", …).
    event_key: str
    status_field: str = "status"
    # The rule ID written on an event row when the caller names none.
    default_rule_id: str = ""
    # Choices whose labels name the states in the refusal message (defaults to the field's).
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}"

    def _choices(self) -> dict[str, str]:
        status = self.model._meta.get_field(self.status_field)
        assert isinstance(status, models.Field)
        return {str(value): str(label) for value, label in status.choices or []}

    @property
    def states(self) -> list[str]:
        return list(self._choices())

    def state_label(self, value: str) -> str:
        if value in self.labels:
            return str(self.labels[value])
        return self._choices().get(value, value)

    def allows(self, old: str, new: str) -> bool:
        return new in self.table.get(old, frozenset())

    def check(self, old: str, new: str) -> None:
        """Refuse a move the table does not list, naming both states by their labels."""
        if not self.allows(old, new):
            raise TransitionNotAllowed(
                _("当前状态“%(old)s”不能转为“%(new)s”。")
                % {"old": self.state_label(old), "new": self.state_label(new)}
            )


_WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    """Declare a workflow (at import of the module that defines its table)."""
    _WORKFLOWS[workflow.label] = workflow
    return workflow


def registered() -> list[Workflow]:
    return sorted(_WORKFLOWS.values(), key=lambda w: w.label)


def workflow_of_event(event_model: type[models.Model]) -> Workflow | None:
    """The workflow whose moves `event_model` records (for naming states by their labels)."""
    for workflow in _WORKFLOWS.values():
        if workflow.event_model is event_model:
            return workflow
    return None


def transition(
    workflow: Workflow,
    obj: M,
    new: str,
    *,
    actor: Any,
    reason: str | Reason = "",
    rule_id: str = "",
    fields: Mapping[str, Any] | None = None,
    event_fields: Mapping[str, Any] | None = None,
    on_commit: Iterable[Callable[[], Any]] = (),
    history_user: bool = False,
) -> M:
    """Move `obj` to `new`: lock its row, check the table against the locked status, set the
    status and `fields`, save only those, write the event row (old, new, actor, reason, rule ID
    and `event_fields`), and queue `on_commit` callbacks. Runs in the caller's atomic block (or
    its own). Returns the locked, saved instance."""
    with transaction.atomic():
        model = type(obj)
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        old = getattr(locked, workflow.status_field)
        workflow.check(old, new)
        setattr(locked, workflow.status_field, new)
        for name, value in (fields or {}).items():
            setattr(locked, name, value)
        if history_user:
            locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=[workflow.status_field, *(fields or {})])
        workflow.event_model._default_manager.create(
            **{workflow.event_key: locked},
            old_status=old,
            new_status=new,
            actor=actor,
            **event_messages.event_fields(reason),
            rule_id=rule_id or workflow.default_rule_id,
            **(event_fields or {}),
        )
        for callback in on_commit:
            transaction.on_commit(callback)
    return locked


def note(
    workflow: Workflow,
    obj: models.Model,
    *,
    actor: Any,
    reason: str | Reason,
    rule_id: str = "",
    event_fields: Mapping[str, Any] | None = None,
) -> None:
    """An event row without a status change (a letter sent, an inspection recorded)."""
    status = getattr(obj, workflow.status_field)
    workflow.event_model._default_manager.create(
        **{workflow.event_key: obj},
        old_status=status,
        new_status=status,
        actor=actor,
        **event_messages.event_fields(reason),
        rule_id=rule_id or workflow.default_rule_id,
        **(event_fields or {}),
    )
