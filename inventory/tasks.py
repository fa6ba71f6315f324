from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from inventory.models import PurchaseImport
from inventory.services import (
    purchase_import_process,
    purchase_imports_recover,
    stocktake_period_ended,
    stocktakes_open_for_period,
    stocktakes_remind_and_escalate,
)
from programmes.models import Programme


@shared_task(name="inventory.purchase_import_run")
def purchase_import_run(import_id: int) -> str:
    """Validate and import one uploaded purchase file (progress on the import row)."""
    record = PurchaseImport.objects.get(pk=import_id)
    return purchase_import_process(purchase_import=record).status


@shared_task(name="inventory.purchase_imports_recover")
def purchase_imports_recover_run() -> dict[str, int]:
    """Every few minutes: imports whose worker died are queued again or failed with a message."""
    return purchase_imports_recover()


@shared_task(name="inventory.stocktakes_scan")
def stocktakes_scan() -> dict[str, int]:
    """Daily (HY-E06): open the stocktakes of the period just ended (quarter or month, as the
    programme sets) for the pharmacies designated in it, remind before due, escalate overdue."""
    # Tasks orchestrate across apps; inventory's services never import accreditation.
    from accreditation.selectors import designated_pharmacies

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
