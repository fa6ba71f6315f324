"""Every registered transition table, walked allowed and forbidden through the one helper."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from core.errors import TransitionNotAllowed
from core.transitions import Workflow, registered, transition
from tests.factories import member
from tests.factories.workflows import MAKERS

WORKFLOWS = registered()


def test_every_stateful_model_with_a_transition_table_registers_its_workflow() -> None:
    # A model whose event model derives from core's TransitionEvent has a workflow.
    from core.models import TransitionEvent

    event_models = {m._meta.label for m in apps.get_models() if issubclass(m, TransitionEvent)}
    assert event_models <= {w.event_model._meta.label for w in WORKFLOWS}
    assert set(MAKERS) >= {w.label for w in WORKFLOWS}, "a workflow has no maker"


@pytest.mark.django_db
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.label)
def test_every_transition_is_allowed_or_refused_as_its_table_says(workflow: Workflow) -> None:
    obj: Any = MAKERS[workflow.label]()
    actor = member("bureau_admin")
    manager = workflow.model._default_manager
    events = workflow.event_model._default_manager
    for old in workflow.states:
        for new in workflow.states:
            manager.filter(pk=obj.pk).update(**{workflow.status_field: old})
            before = events.count()
            if workflow.allows(old, new):
                moved = transition(workflow, obj, new, actor=actor, reason="walk", rule_id="T-1")
                assert getattr(moved, workflow.status_field) == new
                assert getattr(manager.get(pk=obj.pk), workflow.status_field) == new
                event: Any = events.order_by("-pk").first()
                assert (event.old_status, event.new_status, event.actor, event.rule_id) == (
                    old,
                    new,
                    actor,
                    "T-1",
                )
            else:
                with pytest.raises(TransitionNotAllowed) as refused:
                    transition(workflow, obj, new, actor=actor)
                assert workflow.state_label(new) in str(refused.value)
                assert getattr(manager.get(pk=obj.pk), workflow.status_field) == old
                assert events.count() == before
