from __future__ import annotations

from celery import shared_task

from supervision.engine import rules_scan


@shared_task(name="supervision.rules_scan")
def rules_scan_run() -> dict[str, int]:
    """Every few minutes: each enabled rule over what changed since its last run (idempotent)."""
    return rules_scan()
