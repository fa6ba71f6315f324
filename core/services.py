from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.models import HolidayOverride

# Services of apps above core that store working-day dates (review clocks, notices, stocktake
# due dates) register here (in their AppConfig.ready) to be rerun when a region's calendar
# changes: core cannot import them (the layers point one way), and a signal would hide the
# call. Each takes (year, actor) and returns how many stored dates it moved.
DateRecomputer = Callable[..., int]
DATE_RECOMPUTERS: list[DateRecomputer] = []


def register_date_recomputer(recompute: DateRecomputer) -> DateRecomputer:
    if recompute not in DATE_RECOMPUTERS:
        DATE_RECOMPUTERS.append(recompute)
    return recompute


def calendar_dates_recompute(*, year: int, actor: Any) -> int:
    """Recompute the stored working-day dates on or after 1 January of `year` that are still
    ahead (each app writes an event row per moved date): run whenever a region's arrangement
    for that year is entered or changed."""
    return sum(recompute(year=year, actor=actor) for recompute in DATE_RECOMPUTERS)


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
        override = HolidayOverride.objects.create(
            region_id=region_id,
            date=day,
            is_working_day=is_working_day,
            name=name,
            created_by=actor,
        )
        calendar_dates_recompute(year=day.year, actor=actor)
        return override


def holiday_override_delete(*, override: HolidayOverride, actor: Any) -> HolidayOverride:
    """Withdraw a region's entry; the row stays as history (when and by whom)."""
    with transaction.atomic():
        locked = HolidayOverride.objects.select_for_update().get(pk=override.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.deleted_by = actor
            locked.save(update_fields=["deleted_at", "deleted_by"])
            calendar_dates_recompute(year=locked.date.year, actor=actor)
    return locked
