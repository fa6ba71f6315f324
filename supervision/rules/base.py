"""What a supervision rule is: code (a `Rule` subclass in a module of this package) plus data
(its SupervisionRule row: on/off, severity, watermark, hits; its thresholds in each
programme's `supervision_parameters`). Adding a rule is one small module: subclass `Rule`,
set its ID, description, summary template and default thresholds, write `scan`, decorate it
with `register` and import the module in `supervision/rules/__init__.py`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from supervision.models import FindingKind, FindingPriority

Period = tuple[datetime, datetime]


def json_safe(value: Any) -> Any:
    """Dates, times and decimals as JSON text (findings keep params and evidence as JSON)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: raised once per `key` (the finding's dedupe key is the rule ID
    and the key); `params` fill the rule's summary template, `evidence` is what the
    catalogue says a finding shows."""

    key: str
    organisation_id: int
    pharmacy_id: int | None
    params: dict[str, Any]
    evidence: dict[str, Any]


@dataclass
class Scope:
    """What one run of a rule reads: after its watermark (a scan) or within a period (a dry
    run, which ignores and keeps the watermark); `parameters(programme_id)` are the rule's
    thresholds under that programme. The rule records how far it read in `advanced`."""

    watermark: dict[str, Any]
    period: Period | None
    parameters: Callable[[int | None], dict[str, Any]]
    advanced: dict[str, Any] = field(default_factory=dict)

    def after_id(self, source: str) -> int:
        return int(self.watermark.get(source) or 0)

    def after_time(self, source: str) -> datetime | None:
        value = self.watermark.get(source)
        return datetime.fromisoformat(value) if value else None

    def advance(self, source: str, value: int | datetime | None) -> None:
        if value is None:
            return
        self.advanced[source] = value.isoformat() if isinstance(value, datetime) else value


class Rule:
    """A supervision rule's code. `summary` is a Chinese template marked with gettext_noop:
    the finding stores the params and is rendered in the reader's language at display."""

    rule_id: ClassVar[str]
    description: ClassVar[StrOrPromise]
    summary: ClassVar[str]
    # A second signal of an ID already registered (supervision-rules.md lists several per
    # pattern) names itself here; its hits carry it in params["signal"] and their keys start
    # with it, so the signals of one ID never share a dedupe key or a watermark source.
    signal: ClassVar[str] = ""
    kind: ClassVar[str] = FindingKind.OTHER
    severity: ClassVar[str] = FindingPriority.NORMAL
    defaults: ClassVar[dict[str, Any]] = {}

    def scan(self, scope: Scope) -> list[Hit]:
        raise NotImplementedError

    def render(self, params: dict[str, Any]) -> str:
        try:
            return _(self.summary) % params
        except (KeyError, TypeError, ValueError):
            return _(self.summary)


class Signals(Rule):
    """One rule ID made of several signals (its SupervisionRule row, on/off and severity are
    shared): the scan runs each, thresholds are the union of their defaults, and a finding is
    rendered with the template of the signal it came from (none: the first)."""

    def __init__(self, parts: list[Rule]) -> None:
        self.parts = parts
        self.rule_id = parts[0].rule_id  # type: ignore[misc]
        self.kind = parts[0].kind  # type: ignore[misc]
        self.severity = parts[0].severity  # type: ignore[misc]
        self.summary = parts[0].summary  # type: ignore[misc]
        self.defaults = {k: v for part in parts for k, v in part.defaults.items()}  # type: ignore[misc]
        self.description = format_lazy(  # type: ignore[misc]
            "{}" + "；{}" * (len(parts) - 1), *[part.description for part in parts]
        )

    def scan(self, scope: Scope) -> list[Hit]:
        return [hit for part in self.parts for hit in part.scan(scope)]

    def render(self, params: dict[str, Any]) -> str:
        signal = params.get("signal", "")
        part = next((p for p in self.parts if p.signal == signal), self.parts[0])
        return part.render(params)


RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Add a rule to the engine (one instance per class); a class with the ID of a registered
    rule and its own `signal` joins it as a further signal."""
    rule = cls()
    known = RULES.get(cls.rule_id)
    if known is None:
        RULES[cls.rule_id] = rule
    else:
        assert cls.signal, f"{cls.rule_id} registered twice without a signal"
        parts = known.parts if isinstance(known, Signals) else [known]
        RULES[cls.rule_id] = Signals([*parts, rule])
    return cls
