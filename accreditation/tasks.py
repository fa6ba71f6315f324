from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from accreditation.deadlines import deadlines_scan
from config.celery import app


@shared_task(name="accreditation.scan_deadlines")
def scan_deadlines() -> int:
    """Daily: review clocks, notices, feedback, payroll months, licences, renewals (once each)."""
    return deadlines_scan(today=timezone.localdate())


@app.on_after_finalize.connect
def _schedule(sender: Any, **kwargs: Any) -> None:
    # Registered here so the shared settings need no edit; django-celery-beat stores it.
    sender.add_periodic_task(
        timedelta(hours=24), scan_deadlines.s(), name="accreditation-scan-deadlines"
    )
