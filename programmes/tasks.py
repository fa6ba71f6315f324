from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from programmes.services import calendar_remind_missing_arrangements


@shared_task(name="programmes.remind_calendar_arrangement")
def remind_calendar_arrangement() -> int:
    """Daily: tell bureau admins which year's 调休 arrangement still needs entering (once)."""
    return calendar_remind_missing_arrangements(today=timezone.localdate())
