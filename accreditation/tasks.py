from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accreditation.deadlines import deadlines_scan


@shared_task(name="accreditation.scan_deadlines")
def scan_deadlines() -> int:
    """Daily: review clocks, notices, feedback, payroll months, licences, renewals (once each)."""
    return deadlines_scan(today=timezone.localdate())
