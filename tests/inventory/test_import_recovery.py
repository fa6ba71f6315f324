"""An import whose worker died is found within minutes and queued again, or failed with a
message; an import delivered twice is booked once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inventory import imports
from inventory.models import Drug, Movement, PurchaseImport, PurchaseImportStatus
from inventory.services import (
    purchase_import_create,
    purchase_import_process,
    purchase_imports_recover,
)
from pharmacies.models import Pharmacy
from tests.factories.inventory import row

pytestmark = pytest.mark.django_db


def _uploaded(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> PurchaseImport:
    data = imports.write_csv([row(catalogue["amlodipine"])])
    return purchase_import_create(pharmacy=pharmacy, name="进货.csv", data=data, actor=None)


def _worker_died(record: PurchaseImport, *, minutes_ago: int, attempts: int = 1) -> None:
    """The state a worker leaves when it is killed after taking the import: RUNNING, its last
    heartbeat `minutes_ago` (the booking, one transaction, was rolled back with it)."""
    PurchaseImport.objects.filter(pk=record.pk).update(
        status=PurchaseImportStatus.RUNNING,
        attempts=attempts,
        progress=40,
        heartbeat_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_an_import_whose_worker_died_is_queued_again_and_then_imported(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], django_capture_on_commit_callbacks: Any
) -> None:
    record = _uploaded(pharmacy, catalogue)
    _worker_died(record, minutes_ago=6)
    with django_capture_on_commit_callbacks() as queued:
        assert purchase_imports_recover() == {"requeued": 1, "failed": 0}
    assert len(queued) == 1  # sent to the queue once the move is committed
    record.refresh_from_db()
    assert record.status == PurchaseImportStatus.PENDING and record.progress == 0
    # The next worker takes it as any queued import, and it is booked once.
    done = purchase_import_process(purchase_import=record)
    assert done.status == PurchaseImportStatus.IMPORTED and done.attempts == 2
    assert Movement.objects.count() == 1


def test_an_import_that_keeps_dying_fails_with_a_message(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    record = _uploaded(pharmacy, catalogue)
    _worker_died(record, minutes_ago=6, attempts=2)
    assert purchase_imports_recover() == {"requeued": 0, "failed": 1}
    record.refresh_from_db()
    assert record.status == PurchaseImportStatus.FAILED
    assert "中断" in record.errors[0]["message"] and "未导入任何行" in record.errors[0]["message"]
    assert not Movement.objects.exists()


def test_a_running_import_with_a_recent_heartbeat_is_left_alone(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    record = _uploaded(pharmacy, catalogue)
    _worker_died(record, minutes_ago=2)
    assert purchase_imports_recover() == {"requeued": 0, "failed": 0}
    record.refresh_from_db()
    assert record.status == PurchaseImportStatus.RUNNING


def test_a_queued_import_nobody_took_is_sent_again_once_per_interval(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], django_capture_on_commit_callbacks: Any
) -> None:
    record = _uploaded(pharmacy, catalogue)
    PurchaseImport.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks() as first:
        assert purchase_imports_recover()["requeued"] == 1
    with django_capture_on_commit_callbacks() as second:
        assert purchase_imports_recover()["requeued"] == 0  # just queued: not again yet
    assert (len(first), len(second)) == (1, 0)


def test_an_import_delivered_twice_is_booked_once(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    record = _uploaded(pharmacy, catalogue)
    first = purchase_import_process(purchase_import=record)
    again = purchase_import_process(purchase_import=record)
    assert first.status == again.status == PurchaseImportStatus.IMPORTED
    assert Movement.objects.count() == 1


def test_an_import_whose_file_is_gone_fails_with_a_message(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    record = _uploaded(pharmacy, catalogue)
    record.file.storage.delete(record.file.name)
    done = purchase_import_process(purchase_import=record)
    assert done.status == PurchaseImportStatus.FAILED
    assert "文件已不存在" in done.errors[0]["message"]
