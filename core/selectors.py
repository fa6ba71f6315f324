"""Reads of core's own tables, by plain values (core imports no other app)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.calendar import region_chain
from core.models import AuditEvent, HolidayOverride


def audit_events_for_regions(
    region_ids: Iterable[int],
    *,
    username: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events concerning these regions, newest first, filtered by user (exact user name),
    action and local dates (both inclusive)."""
    events = AuditEvent.objects.filter(region_id__in=list(region_ids))
    if username:
        events = events.filter(username=username)
    if action:
        events = events.filter(action=action)
    zone = timezone.get_current_timezone()
    if since is not None:
        events = events.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        start_of_next = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        events = events.filter(at__lt=start_of_next)
    return events.order_by("-at", "-id")


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
