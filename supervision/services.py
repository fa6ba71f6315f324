"""Writes of supervision: raise findings (once per dedupe key) and move them through review."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, Organisation, Role, User
from core.notifications import notification_send
from core.transitions import transition
from pharmacies.models import Pharmacy
from supervision.models import Finding, FindingEvent, FindingPriority, FindingStatus
from supervision.transitions import FINDING


def _notify_reviewers(finding: Finding) -> None:
    region_id = finding.organisation.region_id
    reviewers = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            role=Role.BUREAU_REVIEWER, is_active=True, organisation__region_id=region_id
        ).values("user_id"),
    )
    notification_send(
        recipients=reviewers,
        key=f"finding-{finding.pk}",
        message="finding_raised",
        params={"summary": finding.summary, "organisation": str(finding.organisation)},
        link=reverse("supervision:detail", args=[finding.pk]),
        rule_id=finding.rule_id,
    )


def finding_raise(
    *,
    rule_id: str,
    organisation: Organisation,
    kind: str,
    summary: str,
    dedupe_key: str,
    pharmacy: Pharmacy | None = None,
    priority: str = FindingPriority.NORMAL,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
) -> tuple[Finding, bool]:
    """Raise a finding once per dedupe key (rescans do not repeat it); notify reviewers."""
    with transaction.atomic():
        finding, created = Finding.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "rule_id": rule_id,
                "organisation": organisation,
                "pharmacy": pharmacy,
                "kind": kind,
                "priority": priority,
                "summary": summary[:200],
                "details": details or {},
            },
        )
        if created:
            FindingEvent.objects.create(
                finding=finding,
                old_status="",
                new_status=FindingStatus.OPEN,
                actor=actor,
                reason=summary[:200],
                rule_id=rule_id,
            )
            transaction.on_commit(lambda: _notify_reviewers(finding))
    return finding, created


def finding_transition(*, finding: Finding, to: str, actor: User, reason: str = "") -> Finding:
    """Move a finding along FINDING_TRANSITIONS (bureau review); the event row keeps why,
    under the finding's own rule ID."""
    return transition(FINDING, finding, to, actor=actor, reason=reason, rule_id=finding.rule_id)
