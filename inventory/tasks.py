from __future__ import annotations

from celery import shared_task

from inventory.models import PurchaseImport
from inventory.services import (
    purchase_import_process,
    purchase_imports_recover,
)


@shared_task(name="inventory.purchase_import_run")
def purchase_import_run(import_id: int) -> str:
    """Validate and import one uploaded purchase file (progress on the import row)."""
    record = PurchaseImport.objects.get(pk=import_id)
    return purchase_import_process(purchase_import=record).status


@shared_task(name="inventory.purchase_imports_recover")
def purchase_imports_recover_run() -> dict[str, int]:
    """Every few minutes: imports whose worker died are queued again or failed with a message."""
    return purchase_imports_recover()
