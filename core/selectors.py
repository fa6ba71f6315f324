"""Reads of core's own tables."""

from __future__ import annotations

from django.db.models import QuerySet

from core.calendar import region_chain
from core.models import HolidayOverride


def holiday_overrides_of_region(region_id: int) -> QuerySet[HolidayOverride]:
    """The region's own entries in force (the ones its bureau may change)."""
    return HolidayOverride.objects.filter(
        region_id=region_id, deleted_at__isnull=True
    ).select_related("created_by", "region")


def holiday_overrides_inherited(region_id: int) -> QuerySet[HolidayOverride]:
    """Entries of the regions above it, which apply in it too (read-only here)."""
    return HolidayOverride.objects.filter(
        region_id__in=region_chain(region_id)[1:], deleted_at__isnull=True
    ).select_related("created_by", "region")


def holiday_override_history(region_id: int) -> QuerySet[HolidayOverride]:
    """The region's replaced and deleted entries, newest first."""
    return (
        HolidayOverride.objects.filter(region_id=region_id, deleted_at__isnull=False)
        .select_related("created_by", "deleted_by")
        .order_by("-deleted_at", "-id")
    )
