"""Purchase imports: queued, validated in SQL staging, booked all-or-nothing, recovered
when a worker dies."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, TransitionNotAllowed
from inventory import imports, staging
from inventory.files import sniff_spreadsheet
from inventory.models import (
    PURCHASE_IMPORT_TRANSITIONS,
    PurchaseImport,
    PurchaseImportStatus,
)
from inventory.selectors import (
    pharmacy_requires_approval_numbers,
)
from inventory.services.ledger import stock_closed_until, stocktakes_lock
from pharmacies.models import Pharmacy

logger = logging.getLogger(__name__)


# --- Imports -------------------------------------------------------------------------------


def purchase_import_create(
    *, pharmacy: Pharmacy, name: str, data: bytes, actor: User | None
) -> PurchaseImport:
    """Accept an uploaded purchase file for background import: size, real type, zip bomb,
    and the same file twice is recognised (GY-A06 ledger)."""
    file_format = sniff_spreadsheet(name, data)
    digest = hashlib.sha256(data).hexdigest()
    done = PurchaseImport.objects.filter(
        pharmacy=pharmacy, sha256=digest, status=PurchaseImportStatus.IMPORTED
    ).first()
    if done is not None:
        raise DomainError(
            _("该文件已于 %(when)s 导入过，不能重复导入。")
            % {"when": timezone.localtime(done.created_at).strftime("%Y-%m-%d %H:%M")}
        )
    with transaction.atomic():
        record = PurchaseImport(
            pharmacy=pharmacy,
            original_name=name[:200],
            file_format=file_format,
            sha256=digest,
            uploaded_by=actor,
        )
        record.file.save(f"{digest[:16]}.{file_format}", ContentFile(data), save=False)
        record.save()
        from inventory.tasks import purchase_import_run

        transaction.on_commit(lambda: purchase_import_run.delay(record.pk))
    return record


def _import_move(record: PurchaseImport, to: str, **fields: Any) -> None:
    if to not in PURCHASE_IMPORT_TRANSITIONS.get(record.status, frozenset()):
        raise TransitionNotAllowed(_("导入状态不能从“%s”变更。") % record.get_status_display())
    record.status = to
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=["status", *fields])


def purchase_import_process(*, purchase_import: PurchaseImport) -> PurchaseImport:
    """Validate every row, then import all rows in one transaction or none (GY-A06, HY-B01).

    The file is staged and checked set-based, and booked from the staging tables
    (inventory/staging.py)."""
    with transaction.atomic():
        record = PurchaseImport.objects.select_for_update().get(pk=purchase_import.pk)
        if record.status != PurchaseImportStatus.PENDING:
            return record  # already handled (a redelivered task)
        _import_move(
            record,
            PurchaseImportStatus.RUNNING,
            progress=1,
            heartbeat_at=timezone.now(),
            attempts=record.attempts + 1,
        )
    pharmacy = record.pharmacy
    attempt = record.attempts
    try:
        with record.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return _import_failed_because(record, "", _("上传的文件已不存在，请重新上传。"))

    def progress(pct: int) -> None:
        PurchaseImport.objects.filter(pk=record.pk, attempts=attempt).update(
            progress=max(pct, 1), heartbeat_at=timezone.now()
        )

    approval_only = pharmacy_requires_approval_numbers(pharmacy)
    window = imports.DateWindow.of(stock_closed_until(pharmacy))
    with staging.purchase_stage() as stage:
        result = _read_guarded(
            lambda: staging.stage_and_validate(
                stage,
                data,
                record.file_format,
                approval_only=approval_only,
                window=window,
                pharmacy_id=pharmacy.pk,
                progress=progress,
            )
        )
        if result.errors:
            return _import_failed(record, result)
        return _import_booked(
            record,
            lambda locked: stage.book(pharmacy_id=pharmacy.pk, import_id=locked.pk, actor_id=None),
            earliest=stage.earliest_purchase(),
        )


def _read_guarded(read: Any) -> imports.ValidationResult:
    """The file's validation; a file that cannot be read is reported, not retried forever."""
    try:
        return read()
    except DomainError as exc:
        result = imports.ValidationResult()
        result.errors.append({"row": 1, "column": "", "message": str(exc)})
    except Exception:
        result = imports.ValidationResult()
        result.errors.append({"row": 1, "column": "", "message": _("文件无法读取，请检查格式。")})
    return result


def _import_failed(record: PurchaseImport, result: imports.ValidationResult) -> PurchaseImport:
    with transaction.atomic():
        locked = PurchaseImport.objects.select_for_update().get(pk=record.pk)
        if locked.status != PurchaseImportStatus.RUNNING or locked.attempts != record.attempts:
            return locked  # another attempt has it now (purchase_imports_recover)
        _import_move(
            locked,
            PurchaseImportStatus.FAILED,
            errors=result.sorted_errors()[:1000],
            row_count=result.row_count,
            progress=100,
            finished_at=timezone.now(),
        )
    return locked


def purchase_imports_recover(*, now: datetime | None = None) -> dict[str, int]:
    """Imports whose worker died are found within minutes, not when the broker redelivers
    (an hour): a RUNNING import whose heartbeat is older than DINGDIAN_IMPORT_STALE_SECONDS
    goes back to the queue, or fails with a message after DINGDIAN_IMPORT_MAX_ATTEMPTS; a
    PENDING one that old is queued again (running an import twice is harmless: only the
    attempt holding the row books). Nothing of a dead attempt was booked: booking is one
    transaction."""
    from inventory.tasks import purchase_import_run

    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.DINGDIAN_IMPORT_STALE_SECONDS)
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        stalled = (
            PurchaseImport.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=PurchaseImportStatus.RUNNING, heartbeat_at__lt=stale_before)
                | Q(status=PurchaseImportStatus.PENDING, heartbeat_at__lt=stale_before)
                | Q(
                    status=PurchaseImportStatus.PENDING,
                    heartbeat_at=None,
                    created_at__lt=stale_before,
                )
            )
            .order_by("pk")
        )
        for record in stalled:
            if record.status == PurchaseImportStatus.PENDING:
                # For a queued import the heartbeat is when it was last queued.
                record.heartbeat_at = now
                record.save(update_fields=["heartbeat_at"])
                pk = record.pk
                transaction.on_commit(partial(purchase_import_run.delay, pk))
                counts["requeued"] += 1
            elif record.attempts >= settings.DINGDIAN_IMPORT_MAX_ATTEMPTS:
                _import_move(
                    record,
                    PurchaseImportStatus.FAILED,
                    errors=[
                        {
                            "row": 1,
                            "column": "",
                            "message": _(
                                "导入进程 %(n)s 次中断，本文件未导入任何行；请重新上传，"
                                "如仍中断请联系管理员。"
                            )
                            % {"n": record.attempts},
                        }
                    ],
                    progress=100,
                    finished_at=now,
                )
                counts["failed"] += 1
            else:
                _import_move(record, PurchaseImportStatus.PENDING, progress=0, heartbeat_at=now)
                pk = record.pk
                transaction.on_commit(partial(purchase_import_run.delay, pk))
                counts["requeued"] += 1
    return counts


def _import_booked(record: PurchaseImport, book: Any, *, earliest: date | None) -> PurchaseImport:
    """Book the rows unless the same file got imported meanwhile (all in one transaction).

    What changed since the file was checked refuses it whole, and the import says why: a
    stocktake submitted meanwhile (HY-E06), a code registered by another import at the same
    time (HY-B03)."""
    try:
        with transaction.atomic():
            locked = PurchaseImport.objects.select_for_update().get(pk=record.pk)
            if locked.status != PurchaseImportStatus.RUNNING or locked.attempts != record.attempts:
                # Taken from this worker as stalled (purchase_imports_recover) and given to
                # another attempt: only that one books, never both.
                return locked
            if PurchaseImport.objects.filter(
                pharmacy=locked.pharmacy,
                sha256=locked.sha256,
                status=PurchaseImportStatus.IMPORTED,
            ).exists():
                _import_move(
                    locked,
                    PurchaseImportStatus.FAILED,
                    errors=[{"row": 1, "column": "", "message": _("该文件已导入过")}],
                    progress=100,
                    finished_at=timezone.now(),
                )
                return locked
            stocktakes_lock(locked.pharmacy)
            window = imports.DateWindow.of(stock_closed_until(locked.pharmacy))
            if earliest and window.closed_through and earliest <= window.closed_through:
                raise DomainError(  # the message names HY-E06
                    imports.message("closed_period", {"until": window.closed_label}),
                    field="purchase_date",
                )
            count = book(locked)
            _import_move(
                locked,
                PurchaseImportStatus.IMPORTED,
                row_count=count,
                progress=100,
                finished_at=timezone.now(),
            )
        return locked
    except DomainError as exc:
        column = "购进日期" if exc.field == "purchase_date" else ""
        return _import_failed_because(record, column, str(exc))
    except DatabaseError:
        logger.warning("purchase import %s: booking failed", record.pk, exc_info=True)
        return _import_failed_because(
            record,
            "",
            _(
                "入账时账目已被同时修改（例如追溯码刚被另一导入登记），本文件未导入任何行；"
                "请重新上传。"
            ),
        )


def _import_failed_because(record: PurchaseImport, column: str, message: str) -> PurchaseImport:
    result = imports.ValidationResult()
    result.errors.append({"row": 1, "column": column, "message": message})
    return _import_failed(record, result)
