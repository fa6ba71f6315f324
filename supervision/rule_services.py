"""Writes of the rules engine's data by bureau admins: a rule on or off, its thresholds under
a programme (programme data: programme_update_parameters keeps who, when and why)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from programmes.models import Programme
from programmes.services import programme_update_parameters
from supervision.engine import rule_rows
from supervision.models import SupervisionRule
from supervision.rules import RULES


def _reason(reason: str) -> str:
    if not reason.strip():
        raise DomainError(_("请填写修改原因。"), field="reason")
    return reason.strip()


def rule_enable(*, rule_id: str, enabled: bool, actor: User, reason: str) -> SupervisionRule:
    """Switch a rule on or off; its history keeps who, when and why."""
    why = _reason(reason)
    rule_rows()
    with transaction.atomic():
        row = SupervisionRule.objects.select_for_update().get(rule_id=rule_id)
        if row.enabled == enabled:
            return row
        row.enabled = enabled
        row._history_user = actor  # type: ignore[attr-defined]
        row._change_reason = why  # type: ignore[attr-defined]
        row.save(update_fields=["enabled"])
    return row


def rule_parameters_set(
    *, programme: Programme, rule_id: str, values: dict[str, Any], actor: User, reason: str
) -> Programme:
    """Set a rule's thresholds under a programme (whole numbers ≥ 1, only the rule's own)."""
    why = _reason(reason)
    rule = RULES[rule_id]
    clean: dict[str, int] = {}
    for name in rule.defaults:
        raw = values.get(name)
        try:
            number = int(str(raw))
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise DomainError(_("%(name)s 须为不小于 1 的整数。") % {"name": name}, field=name)
        clean[name] = number
    params = dict(programme.supervision_parameters or {})
    params[rule_id] = clean
    return programme_update_parameters(
        programme=programme, actor=actor, changes={"supervision_parameters": params}, reason=why
    )
