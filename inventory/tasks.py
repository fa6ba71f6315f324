from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from inventory.models import PurchaseImport
from inventory.services import (
    purchase_import_process,
    stocktakes_open_for_quarter,
    stocktakes_remind_and_escalate,
)
from programmes.models import Programme


@shared_task(name="inventory.purchase_import_run")
def purchase_import_run(import_id: int) -> str:
    """Validate and import one uploaded purchase file (progress on the import row)."""
    record = PurchaseImport.objects.get(pk=import_id)
    return purchase_import_process(purchase_import=record).status


@shared_task(name="inventory.stocktakes_scan")
def stocktakes_scan() -> dict[str, int]:
    """Daily (HY-E06): open the quarter's stocktakes, remind before due, escalate overdue."""
    # Tasks orchestrate across apps; inventory's services never import accreditation.
    from accreditation.selectors import designated_pharmacies

    today = timezone.localdate()
    opened = 0
    for programme in Programme.objects.exclude(stocktake_period=""):
        pharmacies = list(designated_pharmacies(programme=programme, on=today))
        opened += stocktakes_open_for_quarter(
            programme=programme, pharmacies=pharmacies, today=today
        )
    reminded, escalated = stocktakes_remind_and_escalate(today=today)
    return {"opened": opened, "reminded": reminded, "escalated": escalated}
