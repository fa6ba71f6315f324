"""What the reviewer must settle before an evaluation passes (HY-C03, GY-B01).

A failing hard condition can never be passed. A failing soft condition (one the assessment
team may weigh, e.g. HY-A09 stock coverage before the first purchases) may be passed only
when the reviewer acknowledges it, condition by condition, named by its rule ID; the
acknowledgements are kept in the pass event row.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.utils.translation import gettext as _

from accreditation.eligibility import FAIL, Condition, blocking_conditions, eligibility_report
from accreditation.models import Application
from core.errors import RuleViolation
from core.event_messages import Reason
from core.event_messages import reason as named_reason


def failing_soft_conditions(application: Application, *, on: date) -> list[Condition]:
    """The soft conditions that fail on `on`, one per rule ID (the order of the report)."""
    return _failing_soft(
        eligibility_report(pharmacy=application.pharmacy, programme=application.programme, on=on)
    )


def _failing_soft(report: list[Condition]) -> list[Condition]:
    seen: dict[str, Condition] = {}
    for condition in report:
        if not condition.hard and condition.outcome == FAIL:
            seen.setdefault(condition.rule_id, condition)
    return list(seen.values())


def _describe(conditions: Collection[Condition]) -> str:
    return "；".join(f"{c.rule_id} {c.label}（{c.data}）" for c in conditions)


def check_conditions_for_pass(
    application: Application, *, on: date, acknowledged: Collection[str]
) -> list[dict[str, str]]:
    """Refuse the pass while a hard condition fails or a failing soft condition is not
    acknowledged; return the acknowledgements to record (rule ID, label, data)."""
    report = eligibility_report(
        pharmacy=application.pharmacy, programme=application.programme, on=on
    )
    blocking = blocking_conditions(report)
    if blocking:
        first = blocking[0]
        raise RuleViolation(
            first.rule_id,
            _("不符合定点条件，不能评估合格：%(label)s（%(data)s）")
            % {"label": first.label, "data": first.data},
        )
    failing = _failing_soft(report)
    missing = [c for c in failing if c.rule_id not in set(acknowledged)]
    if missing:
        raise RuleViolation(
            missing[0].rule_id,
            _("以下条件不符合，须逐项勾选确认后方可评估合格：%(list)s")
            % {"list": _describe(missing)},
            field="acknowledged",
        )
    return [{"rule_id": c.rule_id, "label": str(c.label), "data": c.data} for c in failing]


def acknowledgement_reason(reason: str, acknowledged: list[dict[str, str]]) -> str | Reason:
    """The pass event's reason: the reviewer's note, then each acknowledged condition."""
    if not acknowledged:
        return reason
    listed = "；".join(f"{a['rule_id']} {a['label']}（{a['data']}）" for a in acknowledged)
    return named_reason("conditions_acknowledged", note=reason, list=listed)
