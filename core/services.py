from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.models import HolidayOverride


def holiday_override_set(
    *, region_id: int, day: date, is_working_day: bool, name: str, actor: Any
) -> HolidayOverride:
    """Record a region's arrangement for one day; an earlier entry for that day is kept,
    marked replaced (deleted) by this one."""
    now = timezone.now()
    with transaction.atomic():
        # Lock the day's entry: two admins saving the same day must not both insert.
        HolidayOverride.objects.select_for_update().filter(
            region_id=region_id, date=day, deleted_at__isnull=True
        ).update(deleted_at=now, deleted_by=actor)
        return HolidayOverride.objects.create(
            region_id=region_id,
            date=day,
            is_working_day=is_working_day,
            name=name,
            created_by=actor,
        )


def holiday_override_delete(*, override: HolidayOverride, actor: Any) -> HolidayOverride:
    """Withdraw a region's entry; the row stays as history (when and by whom)."""
    with transaction.atomic():
        locked = HolidayOverride.objects.select_for_update().get(pk=override.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.deleted_by = actor
            locked.save(update_fields=["deleted_at", "deleted_by"])
    return locked
