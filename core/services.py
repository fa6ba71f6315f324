from __future__ import annotations

from datetime import date

from django.db import transaction

from core.models import HolidayOverride


def holiday_override_set(
    *, day: date, is_working_day: bool, name: str, actor: object
) -> HolidayOverride:
    """Record the bureau's arrangement for one day (replaces an earlier entry for it)."""
    with transaction.atomic():
        override, _created = HolidayOverride.objects.update_or_create(
            date=day,
            defaults={"is_working_day": is_working_day, "name": name, "created_by": actor},
        )
    return override


def holiday_override_delete(*, override: HolidayOverride) -> None:
    override.delete()
