"""Reads of core's own tables, by plain values (core imports no other app)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.models import AuditEvent


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
