"""Celery tasks of the patients app (queued by name by the designation work)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from patients.services import choices_mark_institution_revoked


@shared_task(name="patients.institution_revoked")
def institution_revoked(
    *, organisation_id: int, programme_code: str, settle_until: str, effective_from: str
) -> int:
    """HY-G06: mark, list and notify the patients of a revoked institution; idempotent."""
    affected = choices_mark_institution_revoked(
        organisation_id=organisation_id,
        programme_code=programme_code,
        settle_until=date.fromisoformat(settle_until),
        effective_from=date.fromisoformat(effective_from),
    )
    return len(affected)
