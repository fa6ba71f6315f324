"""The rules engine (issue 17.1): run each enabled rule of supervision.rules over what changed
since its watermark and raise its findings once per dedupe key; or, for a dry run, over a
period, writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Organisation
from pharmacies.models import Pharmacy
from programmes.models import Programme
from supervision.models import Finding, SupervisionRule
from supervision.rules import RULES, Hit, Rule, Scope
from supervision.rules.base import Period
from supervision.services import finding_raise


def rule_rows() -> dict[str, SupervisionRule]:
    """The data row of every registered rule (created on first sight: on, default severity)."""
    rows = {row.rule_id: row for row in SupervisionRule.objects.all()}
    for rule_id, rule in RULES.items():
        if rule_id not in rows:
            with override("zh-hans"):
                description = str(rule.description)
            rows[rule_id], _created = SupervisionRule.objects.get_or_create(
                rule_id=rule_id,
                defaults={"description": description, "severity": rule.severity},
            )
    return rows


def parameters_of(rule: Rule) -> Callable[[int | None], dict[str, Any]]:
    """The rule's thresholds under a programme: its defaults overlaid with the programme's
    `supervision_parameters[rule_id]`."""
    per_programme = {
        pk: (params or {}).get(rule.rule_id, {})
        for pk, params in Programme.objects.values_list("pk", "supervision_parameters")
    }

    def parameters(programme_id: int | None) -> dict[str, Any]:
        own = per_programme.get(programme_id, {}) if programme_id is not None else {}
        return {**rule.defaults, **own}

    return parameters


def dedupe_key(rule: Rule, hit: Hit) -> str:
    return f"{rule.rule_id}:{hit.key}"[:200]


def _raise(rule: Rule, row: SupervisionRule, hit: Hit) -> bool:
    with override("zh-hans"):
        summary = rule.render(hit.params)
    _finding, created = finding_raise(
        rule_id=rule.rule_id,
        organisation=Organisation.objects.get(pk=hit.organisation_id),
        pharmacy=Pharmacy.objects.get(pk=hit.pharmacy_id) if hit.pharmacy_id else None,
        kind=rule.kind,
        priority=row.severity,
        summary=summary,
        dedupe_key=dedupe_key(rule, hit),
        details={"params": hit.params, "evidence": hit.evidence},
    )
    return created


def rule_scan(rule_id: str, *, now: datetime | None = None) -> int:
    """Scan one rule from its watermark (its row locked: two workers never scan it at once);
    returns how many findings were new."""
    rule = RULES[rule_id]
    rule_rows()
    with transaction.atomic():
        row = SupervisionRule.objects.select_for_update().get(rule_id=rule_id)
        if not row.enabled:
            return 0
        scope = Scope(watermark=dict(row.watermark), period=None, parameters=parameters_of(rule))
        new = sum(_raise(rule, row, hit) for hit in rule.scan(scope))
        row.watermark = {**row.watermark, **scope.advanced}
        row.last_run_at = now or timezone.now()
        row.last_run_hits = new
        row.hits_total += new
        row.save_without_historical_record(  # type: ignore[attr-defined]
            update_fields=["watermark", "last_run_at", "last_run_hits", "hits_total"]
        )
    return new


def rules_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Scan every enabled rule incrementally; per rule, how many findings were new."""
    return {rule_id: rule_scan(rule_id, now=now) for rule_id in sorted(RULES)}


@dataclass(frozen=True)
class DryHit:
    rule_id: str
    summary: str
    pharmacy_id: int | None
    organisation_id: int
    exists: bool


def rules_dry_run(*, period: Period, organisation_ids: set[int] | None = None) -> list[DryHit]:
    """What every enabled rule would raise over `period` (organisations limited to
    `organisation_ids`), and whether each is raised already; reads only, writes nothing."""
    enabled = {r.rule_id for r in SupervisionRule.objects.filter(enabled=True)} | (
        set(RULES) - set(SupervisionRule.objects.values_list("rule_id", flat=True))
    )
    found: list[tuple[Rule, Hit]] = []
    for rule_id in sorted(enabled & set(RULES)):
        rule = RULES[rule_id]
        scope = Scope(watermark={}, period=period, parameters=parameters_of(rule))
        found += [
            (rule, hit)
            for hit in rule.scan(scope)
            if organisation_ids is None or hit.organisation_id in organisation_ids
        ]
    existing = set(
        Finding.objects.filter(
            dedupe_key__in=[dedupe_key(rule, hit) for rule, hit in found]
        ).values_list("dedupe_key", flat=True)
    )
    return [
        DryHit(
            rule_id=rule.rule_id,
            summary=rule.render(hit.params),
            pharmacy_id=hit.pharmacy_id,
            organisation_id=hit.organisation_id,
            exists=dedupe_key(rule, hit) in existing,
        )
        for rule, hit in found
    ]
