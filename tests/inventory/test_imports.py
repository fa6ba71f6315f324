"""Purchase imports (GY-A06): every row validated, all or nothing, bad files rejected."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from config.celery import app
from core.errors import DomainError
from inventory import imports, staging
from inventory.models import (
    Drug,
    Movement,
    MovementKind,
    PurchaseImport,
    PurchaseImportStatus,
    StockBatch,
    Stocktake,
    TraceabilityCode,
)
from inventory.services import (
    purchase_import_create,
    purchase_import_process,
    stocktake_submit,
    stocktakes_open_for_period,
)
from pharmacies.models import Pharmacy
from programmes.models import Programme
from tests.factories.inventory import at, book, row, run_import, tc
from tests.factories.sessions import login


@pytest.mark.django_db
def test_gy_a06_csv_import_books_every_field_and_the_same_file_twice_is_refused(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a CSV with two purchase rows carrying every GY-A06 field
    data = imports.write_csv(
        [
            row(catalogue["amlodipine"]),
            row(catalogue["captopril"], batch_no="K7", quantity="5", traceability_codes=tc("C003")),
        ]
    )
    # When it is imported
    record = run_import(pharmacy, "进货.csv", data)
    # Then both rows are booked with their batch, dates, supplier, codes
    assert record.status == PurchaseImportStatus.IMPORTED, record.errors
    assert record.row_count == 2 and record.progress == 100
    batch = StockBatch.objects.get(pharmacy=pharmacy, batch_no="P1")
    assert batch.quantity == 20 and str(batch.expiry_date) == "2027-02-28"
    movement = Movement.objects.get(batch=batch)
    assert movement.supplier == "国药控股湖南有限公司" and movement.invoice_no == "FP001"
    assert movement.traceability_codes == [tc("C001"), tc("C002")]
    assert TraceabilityCode.objects.filter(pharmacy=pharmacy).count() == 3
    # And the same file again is recognised and refused
    with pytest.raises(DomainError, match="已于"):
        purchase_import_create(pharmacy=pharmacy, name="again.csv", data=data, actor=None)
    assert Movement.objects.count() == 2


@pytest.mark.django_db
def test_xlsx_import_and_export_in_the_same_format(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    precise = {"batch_no": "P2", "unit_price": "3.1416", "traceability_codes": tc("E3")}
    data = imports.write_xlsx(
        [
            row(catalogue["losartan"], purchase_date="2026-07-05"),
            row(catalogue["losartan"], purchase_date="2026-07-05", **precise),
        ]
    )
    record = run_import(pharmacy, "进货.xlsx", data)
    assert record.status == PurchaseImportStatus.IMPORTED, record.errors
    # Exported as imported: a price keeps its fen (12.50) and any further places (3.1416)
    exported = list(
        imports.export_rows(Movement.objects.select_related("drug", "batch").order_by("pk"))
    )
    assert exported == [
        row(catalogue["losartan"], purchase_date="2026-07-05", quantity=20),
        row(catalogue["losartan"], purchase_date="2026-07-05", quantity=20, **precise),
    ]


def _assert_rejected(record: PurchaseImport, *expected: tuple[int, str, str]) -> None:
    assert record.status == PurchaseImportStatus.FAILED
    found = {(e["row"], e["column"]) for e in record.errors}
    messages = " ".join(e["message"] for e in record.errors)
    for line, column, text in expected:
        assert (line, column) in found, record.errors
        assert text in messages
    assert not Movement.objects.exists() and not StockBatch.objects.exists()


@pytest.mark.django_db
def test_wrong_columns_are_reported_and_nothing_imported(pharmacy: Pharmacy) -> None:
    data = "药品,数量\n阿司匹林,3\n".encode()
    record = run_import(pharmacy, "bad.csv", data)
    assert record.status == PurchaseImportStatus.FAILED
    assert "缺少列" in record.errors[0]["message"] and "批号" in record.errors[0]["message"]


@pytest.mark.django_db
def test_bad_dates_negative_quantities_duplicate_codes_rejected_by_row_and_column(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given one good row and rows with each error: the good row is not imported either
    data = imports.write_csv(
        [
            row(catalogue["amlodipine"]),
            row(catalogue["captopril"], production_date="2025-13-45", traceability_codes=tc("X1")),
            row(catalogue["losartan"], quantity="-5", traceability_codes=tc("X2")),
            row(catalogue["valsartan"], traceability_codes=tc("C001")),
            row(
                catalogue["valsartan"],
                batch_no="Z",
                approval_number="准字123",
                traceability_codes=tc("X3"),
            ),
        ]
    )
    record = run_import(pharmacy, "bad.csv", data)
    _assert_rejected(
        record,
        (3, "生产日期", "日期格式"),
        (4, "数量", "正整数"),
        (5, "追溯码", "与第 2 行重复"),
        (6, "批准文号", "国药准字"),
    )


def _submitted_q3_stocktake(hy: Programme, pharmacy: Pharmacy, drug: Drug) -> None:
    """Q3 2026 counted on 2026-10-09 09:00 and submitted: the ledger is closed until then."""
    batch = book(pharmacy, drug, MovementKind.PURCHASE, 10, at(date(2026, 7, 1)))
    stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 1))
    stocktake_submit(
        stocktake=Stocktake.objects.get(pharmacy=pharmacy),
        counts={batch.pk: (10, "")},
        counted_at=timezone.make_aware(datetime(2026, 10, 9, 9, 0)),
        actor=None,
    )


@pytest.mark.django_db
def test_hy_e06_import_refuses_purchases_dated_within_a_submitted_stocktake_or_ahead(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    amlo, capto = catalogue["amlodipine"], catalogue["captopril"]
    with time_machine.travel(datetime(2026, 10, 20, 10, 0), tick=False):
        _submitted_q3_stocktake(hy, pharmacy, amlo)
        stock = StockBatch.objects.get().quantity
        # Refused: a purchase dated on the count's day (booked at 00:00, before 09:00), one
        # in the reconciled quarter and one dated tomorrow, each named by row and column
        refused = run_import(
            pharmacy,
            "late.csv",
            imports.write_csv(
                [
                    row(capto, purchase_date="2026-10-09", traceability_codes=tc("L1")),
                    row(capto, purchase_date="2026-08-01", traceability_codes=tc("L2")),
                    row(capto, purchase_date="2026-10-21", traceability_codes=tc("L3")),
                ]
            ),
        )
        closed = (
            "[HY-E06] 须晚于已提交盘点的实盘时间 2026-10-09 09:00：此前的账目已盘点对账，不能补录"
        )
        assert [(e["row"], e["column"], e["message"]) for e in refused.errors] == [
            (2, "购进日期", closed),
            (3, "购进日期", closed),
            (4, "购进日期", "不能晚于今天"),
        ]
        assert StockBatch.objects.get().quantity == stock and Movement.objects.count() == 1
        # Allowed: the day after the count, and today
        allowed = run_import(
            pharmacy,
            "on-time.csv",
            imports.write_csv(
                [
                    row(capto, purchase_date="2026-10-10", traceability_codes=tc("L4")),
                    row(capto, purchase_date="2026-10-20", traceability_codes=tc("L5")),
                ]
            ),
        )
        assert allowed.status == PurchaseImportStatus.IMPORTED, allowed.errors


@pytest.mark.django_db
def test_hy_e06_a_stocktake_submitted_while_the_file_is_checked_refuses_it_whole(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a file checked before the pharmacy submits its Q3 count, booked after
    amlo = catalogue["amlodipine"]
    data = imports.write_csv([row(amlo, purchase_date="2026-08-01", batch_no="LATE")])
    record = purchase_import_create(pharmacy=pharmacy, name="race.csv", data=data, actor=None)
    meanwhile = _after_checking(lambda: _submitted_q3_stocktake(hy, pharmacy, amlo))
    with time_machine.travel(datetime(2026, 10, 20, 10, 0), tick=False), meanwhile:
        done = purchase_import_process(purchase_import=record)
    # Then the import failed with the rule's message, not left running; nothing is booked
    assert done.status == PurchaseImportStatus.FAILED and done.progress == 100
    assert done.errors[0]["column"] == "购进日期"
    assert done.errors[0]["message"].startswith("[HY-E06] 须晚于已提交盘点的实盘时间 2026-10-09")
    assert not StockBatch.objects.filter(batch_no="LATE").exists()
    record.refresh_from_db()
    assert record.status == PurchaseImportStatus.FAILED


@pytest.mark.django_db
def test_hy_b03_a_code_registered_by_another_import_meanwhile_fails_the_import_whole(
    pharmacy: Pharmacy, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a file whose code another pharmacy registers after the file was checked
    amlo = catalogue["amlodipine"]
    data = imports.write_csv([row(amlo, traceability_codes=f"{tc('R1')};{tc('R2')}")])
    record = purchase_import_create(pharmacy=pharmacy, name="race.csv", data=data, actor=None)

    def other_import() -> None:
        book(
            outsider_pharmacy,
            amlo,
            MovementKind.PURCHASE,
            1,
            at(date(2026, 7, 1)),
            codes=[tc("R2")],
        )

    with _after_checking(other_import):
        done = purchase_import_process(purchase_import=record)
    # Then it failed with a message to upload again, not left running; nothing is booked
    assert done.status == PurchaseImportStatus.FAILED and done.progress == 100
    assert "请重新上传" in done.errors[0]["message"]
    assert not StockBatch.objects.filter(pharmacy=pharmacy).exists()
    assert TraceabilityCode.objects.get(code=tc("R2")).pharmacy_id == outsider_pharmacy.pk


@contextmanager
def _after_checking(meanwhile: Callable[[], None]) -> Iterator[None]:
    """Run `meanwhile` after the import's file is checked and before it is booked, as
    another user's action committed in between would."""
    stage_and_validate = staging.stage_and_validate

    def then(checked: Any) -> Any:
        meanwhile()
        return checked

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            staging, "stage_and_validate", lambda *a, **kw: then(stage_and_validate(*a, **kw))
        )
        yield


@pytest.mark.django_db
def test_gy_a06_a_batch_keeps_one_production_and_expiry_date(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    amlo = catalogue["amlodipine"]
    first = run_import(pharmacy, "a.csv", imports.write_csv([row(amlo)]))
    assert first.status == PurchaseImportStatus.IMPORTED
    # Refused: batch P1 again with another expiry date, and a new batch whose two rows differ
    refused = run_import(
        pharmacy,
        "b.csv",
        imports.write_csv(
            [
                row(amlo, expiry_date="2027-08-31", traceability_codes=tc("D1")),
                row(amlo, batch_no="P2", traceability_codes=tc("D2")),
                row(amlo, batch_no="P2", production_date="2025-04-01", traceability_codes=tc("D3")),
            ]
        ),
    )
    assert [(e["row"], e["column"], e["message"]) for e in refused.errors] == [
        (2, "有效期至", "与本店已登记的同一批号不一致（2027-02-28）"),
        (4, "生产日期", "与第 3 行同一批号的日期不一致（2025-03-01）"),
    ]
    assert StockBatch.objects.get().quantity == 20
    # Allowed: the same batch with its own dates
    again = run_import(
        pharmacy, "c.csv", imports.write_csv([row(amlo, traceability_codes=tc("D4"))])
    )
    assert again.status == PurchaseImportStatus.IMPORTED
    assert StockBatch.objects.get().quantity == 40


@pytest.mark.django_db
def test_a_code_already_registered_is_refused(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    assert (
        run_import(pharmacy, "a.csv", imports.write_csv([row(catalogue["amlodipine"])])).status
        == "imported"
    )
    second = run_import(
        pharmacy,
        "b.csv",
        imports.write_csv([row(catalogue["captopril"], traceability_codes=tc("C002"))]),
    )
    assert second.status == PurchaseImportStatus.FAILED
    assert second.errors[0]["column"] == "追溯码" and "已登记" in second.errors[0]["message"]
    assert Movement.objects.count() == 1


@pytest.mark.django_db
def test_hy_b03_import_refuses_codes_that_are_not_20_digits(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a 20-digit code typed into an Excel number cell (Excel keeps 15 digits of it),
    # one with a letter and one too short, beside a well-formed code
    amlo = catalogue["amlodipine"]
    rounded = float(12345678901234567890)
    refused = run_import(
        pharmacy,
        "codes.xlsx",
        imports.write_xlsx(
            [
                row(amlo, traceability_codes=rounded),
                row(amlo, batch_no="P2", traceability_codes=f"{tc('A')};A{tc('B')[1:]};12345"),
            ]
        ),
    )
    # Then the file is refused, naming each malformed code by row and rule, and nothing is
    # booked: a code the counter could never scan is not registered either
    wrong = "格式不正确：应为 20 位数字（在 Excel 中请把追溯码列设为文本格式）"
    assert [(e["row"], e["column"], e["message"]) for e in refused.errors] == [
        (2, "追溯码", f"[HY-B03] 追溯码 1.234567890123457e+19 {wrong}"),
        (3, "追溯码", f"[HY-B03] 追溯码 A{tc('B')[1:]} {wrong}"),
        (3, "追溯码", f"[HY-B03] 追溯码 12345 {wrong}"),
    ]
    assert not Movement.objects.exists() and not TraceabilityCode.objects.exists()
    # And the same codes as text cells of 20 digits are imported
    allowed = run_import(
        pharmacy,
        "codes-text.xlsx",
        imports.write_xlsx([row(amlo, traceability_codes="12345678901234567890")]),
    )
    assert allowed.status == PurchaseImportStatus.IMPORTED, allowed.errors
    assert TraceabilityCode.objects.get().code == "12345678901234567890"


@pytest.mark.django_db
def test_hy_b01_import_of_a_health_food_is_refused_and_a_drug_allowed(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    refused = run_import(
        pharmacy, "hf.csv", imports.write_csv([row(catalogue["health_food"], approval_number="")])
    )
    assert refused.status == PurchaseImportStatus.FAILED
    assert "[HY-B01]" in refused.errors[0]["message"]
    allowed = run_import(pharmacy, "ok.csv", imports.write_csv([row(catalogue["amlodipine"])]))
    assert allowed.status == PurchaseImportStatus.IMPORTED


@pytest.mark.django_db
@override_settings(DINGDIAN_MAX_UPLOAD_BYTES=10 * 1024 * 1024)
def test_bad_files_are_rejected_before_anything_is_stored(pharmacy: Pharmacy) -> None:
    # A 20 MB file
    with pytest.raises(DomainError, match="文件过大"):
        purchase_import_create(
            pharmacy=pharmacy, name="big.csv", data=b"a,b\n" * (5 * 1024 * 1024), actor=None
        )
    # A Windows executable renamed to .xlsx and to .csv
    exe = b"MZ\x90\x00\x03" + b"\x00" * 200
    for name in ("ledger.xlsx", "ledger.csv"):
        with pytest.raises(DomainError, match="请勿修改扩展名"):
            purchase_import_create(pharmacy=pharmacy, name=name, data=exe, actor=None)
    # An .xlsx zip bomb: tiny on disk, gigabytes when expanded
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    with pytest.raises(DomainError, match="压缩炸弹"):
        purchase_import_create(
            pharmacy=pharmacy, name="bomb.xlsx", data=bomb.getvalue(), actor=None
        )
    # Another extension
    with pytest.raises(DomainError, match="只接受"):
        purchase_import_create(pharmacy=pharmacy, name="ledger.exe", data=b"a", actor=None)
    assert not PurchaseImport.objects.exists()


@pytest.mark.django_db
def test_upload_page_runs_the_import_in_the_background_and_shows_progress(
    client: Client,
    manager: User,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    login(client, manager)
    upload = io.BytesIO(imports.write_csv([row(catalogue["amlodipine"])]))
    upload.name = "进货.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/inventory/imports/", {"file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已导入" in page and "100%" in page
    assert StockBatch.objects.get(pharmacy=pharmacy).quantity == 20


@pytest.mark.django_db
def test_upload_page_shows_a_rejected_file_on_the_form(
    client: Client, manager: User, pharmacy: Pharmacy
) -> None:
    login(client, manager)
    upload = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 50)
    upload.name = "ledger.xlsx"
    page = client.post("/inventory/imports/", {"file": upload}).content.decode()
    assert "请勿修改扩展名" in page
    assert not PurchaseImport.objects.exists()


@pytest.mark.django_db
def test_sample_file_and_export_download(
    client: Client, manager: User, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    login(client, manager)
    sample = client.get("/inventory/imports/sample.xlsx")
    assert sample.status_code == 200 and sample.content.startswith(b"PK")
    run_import(pharmacy, "a.csv", imports.write_csv([row(catalogue["amlodipine"])]))
    csv_text = client.get("/inventory/export/?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(imports.HEADERS)
    assert "国药控股湖南有限公司" in csv_text


@pytest.mark.django_db
def test_hy_b03_import_receives_a_code_that_left_by_transfer_or_return_not_a_lost_or_sold_one(
    pharmacy: Pharmacy, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    from datetime import date
    from decimal import Decimal

    from inventory.models import MovementKind as K
    from inventory.services import stock_movement_enter
    from tests.factories.inventory import PURCHASE, at, book

    amlo = catalogue["amlodipine"]
    codes = [f"{n:020d}" for n in range(1, 5)]
    # Given four codes received by another pharmacy: one transferred out, one returned to the
    # supplier, one lost, one sold
    there = book(outsider_pharmacy, amlo, PURCHASE, 10, at(date(2026, 7, 1)), codes=codes)
    for kind, taken, extra in (
        (
            K.TRANSFER_OUT,
            codes[0],
            {"counterparty_kind": "other", "counterparty": "乙", "reference": "D"},
        ),
        (K.PURCHASE_RETURN, codes[1], {"supplier": "国药"}),
        (K.LOSS, codes[2], {"reason": "破损"}),
        (K.SALE, codes[3], {"unit_price": Decimal("9")}),
    ):
        stock_movement_enter(
            pharmacy=outsider_pharmacy,
            kind=kind,
            quantity=1,
            occurred_at=at(date(2026, 7, 2)),
            actor=None,
            batch=there,
            traceability_codes=[taken],
            **extra,
        )

    def imported(data: bytes) -> list[dict[str, Any]]:
        return run_import(pharmacy, "进货.csv", data).errors

    # A lost or a sold code is refused, naming the row and the code; nothing is booked
    for taken in (codes[2], codes[3]):
        errors = imported(
            imports.write_csv(
                [row(amlo, traceability_codes=codes[0]), row(amlo, traceability_codes=taken)]
            )
        )
        assert errors == [{"row": 3, "column": "追溯码", "message": f"追溯码 {taken} 已登记过"}]
        assert not StockBatch.objects.filter(pharmacy=pharmacy).exists()
    # The codes that left by transfer out and by purchase return are received here
    assert imported(imports.write_csv([row(amlo, traceability_codes=";".join(codes[:2]))])) == []
    batch = StockBatch.objects.get(pharmacy=pharmacy)
    purchase = Movement.objects.get(batch=batch)
    for moved in TraceabilityCode.objects.filter(code__in=codes[:2]):
        assert (moved.pharmacy_id, moved.batch_id, moved.received_in_id, moved.left_in_id) == (
            pharmacy.pk,
            batch.pk,
            purchase.pk,
            None,
        )
    assert TraceabilityCode.objects.count() == 4
