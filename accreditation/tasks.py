from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accreditation.deadlines import deadlines_scan
from accreditation.selectors import designated_pharmacies
from inventory.services import (
    stocktake_period_ended,
    stocktakes_open_for_period,
    stocktakes_remind_and_escalate,
)
from programmes.models import Programme


@shared_task(name="accreditation.scan_deadlines")
def scan_deadlines() -> int:
    """Daily: review clocks, notices, feedback, payroll months, licences, renewals (once each)."""
    return deadlines_scan(today=timezone.localdate())


@shared_task(name="inventory.stocktakes_scan")
def stocktakes_scan() -> dict[str, int]:
    """Daily (HY-E06): open the stocktakes of the period just ended (quarter or month, as the
    programme sets) for the pharmacies designated in it, remind before due, escalate overdue."""
    # Here, not in inventory: who is designated is accreditation's to say, and accreditation
    # sits above inventory (its eligibility reads inventory's stock metrics). The task keeps
    # its name so the stored beat schedule and queued messages still find it.
    today = timezone.localdate()
    opened = 0
    for programme in Programme.objects.exclude(stocktake_period=""):
        period = stocktake_period_ended(programme, today)
        if period is None:
            continue
        # Designated now and already by the period's end: a pharmacy designated since has
        # no stock of that period to count.
        pharmacies = list(
            designated_pharmacies(programme=programme, on=today, started_by=period[1])
        )
        opened += stocktakes_open_for_period(
            programme=programme, pharmacies=pharmacies, today=today
        )
    reminded, escalated = stocktakes_remind_and_escalate(today=today)
    return {"opened": opened, "reminded": reminded, "escalated": escalated}
