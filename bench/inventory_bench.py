"""Stock ledger: purchase imports (CSV, xlsx) and stocktake reconciliation, each beside the
single SQL aggregate that is its floor.

Runs in its own scratch PostgreSQL database (created and dropped here), never in the
developer's data. Imports go through purchase_import_process, as the background task does.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bench._db import bench_database

BENCH_DB = "dingdian_bench"
# INVENTORY_BENCH_ROWS shrinks the import files; INVENTORY_BENCH_PARTS (comma separated:
# csv, xlsx, reconciliation, county) runs only some parts.
ROWS = int(os.environ.get("INVENTORY_BENCH_ROWS", "100000"))
# INVENTORY_BENCH_REPEAT: how many times the CSV import runs (the median is printed).
REPEAT = max(int(os.environ.get("INVENTORY_BENCH_REPEAT", "3")), 1)
PARTS = set(os.environ.get("INVENTORY_BENCH_PARTS", "csv,xlsx,reconciliation,county").split(","))
# INVENTORY_BENCH_STATEMENTS=1: also each SQL statement of an import that took ≥ 30 ms.
STATEMENTS = os.environ.get("INVENTORY_BENCH_STATEMENTS", "") not in ("", "0")
DRUGS = 1_000
PHARMACIES = 500
MOVEMENTS_PER_PHARMACY = 10_000
BATCHES_PER_PHARMACY = 100
QUARTER_START = date(2026, 7, 1)


def _timed(label: str, func: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = func()
    return time.perf_counter() - began, result


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _pharmacy(name: str, n: int) -> Any:
    from stdnum.cn import uscc

    from accounts.models import Organisation, OrganisationKind, Region
    from pharmacies.models import Pharmacy

    org = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name=name, region=Region.objects.get(code="520100")
    )
    base = f"9152010000{n:07d}"
    return Pharmacy.objects.create(organisation=org, credit_code=base + uscc.calc_check_digit(base))


def _catalogue() -> list[Any]:
    from inventory.models import Drug

    Drug.objects.bulk_create(
        Drug(
            insurance_code=f"XB{i:010d}",
            generic_name=f"基准药品{i}",
            dosage_form="片剂",
            specification="10mg×30片",
            manufacturer="基准制药有限公司",
            approval_number=f"国药准字H{i:08d}",
        )
        for i in range(DRUGS)
    )
    return list(Drug.objects.order_by("pk"))


def _purchase_rows(drugs: list[Any], tag: str) -> list[list[Any]]:
    rows = []
    for i in range(ROWS):
        drug = drugs[i % DRUGS]
        rows.append(
            [
                drug.insurance_code,
                drug.generic_name,
                drug.manufacturer,
                drug.dosage_form,
                drug.specification,
                f"{tag}{i // DRUGS:04d}",
                "2026-01-01",
                "2028-01-01",
                drug.approval_number,
                "基准医药公司",
                10,
                "12.50",
                (QUARTER_START + timedelta(days=i % 80)).isoformat(),
                f"FP{i}",
                f"SH{i}",
                f"{ord(tag[0])}{i:018d}",  # 20 digits (HY-B03)
            ]
        )
    return rows


def _phases() -> dict[str, float]:
    """Time spent in each step of the staged import (wrapping PurchaseStage's methods)."""
    from inventory import staging
    from inventory.services import imports as import_services

    spent: dict[str, float] = {}
    for owner, name in (
        (staging, "stage_and_validate"),
        (staging.PurchaseStage, "load"),
        (staging.PurchaseStage, "validate"),
        (import_services, "_import_booked"),
        (staging.PurchaseStage, "book"),
    ):
        method = getattr(owner, name)
        if hasattr(method, "__wrapped__"):
            method = method.__wrapped__

        def timed(*args: Any, _m: Any = method, _n: str = name, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return _m(*args, **kwargs)
            finally:
                spent[_n] = spent.get(_n, 0.0) + time.perf_counter() - began

        timed.__wrapped__ = method  # type: ignore[attr-defined]
        setattr(owner, name, timed)
    return spent


def _import(pharmacy: Any, data: bytes, file_format: str) -> float:
    """The background task's work on an uploaded file: read, validate every row, book."""
    import hashlib

    from django.core.files.base import ContentFile

    from inventory.models import PurchaseImport, PurchaseImportStatus
    from inventory.services import purchase_import_process

    record = PurchaseImport(
        pharmacy=pharmacy,
        original_name=f"bench.{file_format}",
        file_format=file_format,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    record.file.save(f"bench.{file_format}", ContentFile(data))
    spent = _phases()
    statements: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - began, " ".join(str(sql).split())[:90]))

    try:
        with connection.execute_wrapper(timed):
            elapsed, done = _timed(
                "import", lambda: purchase_import_process(purchase_import=record)
            )
    finally:
        record.file.delete(save=False)
    assert done.status == PurchaseImportStatus.IMPORTED, done.errors[:3]
    assert done.row_count == ROWS
    s = {name: spent.get(name, 0.0) for name in ("stage_and_validate", "load", "validate")}
    s |= {name: spent.get(name, 0.0) for name in ("_import_booked", "book")}
    reading = s["stage_and_validate"] - s["load"] - s["validate"]
    commit = s["_import_booked"] - s["book"]
    rest = elapsed - s["stage_and_validate"] - s["_import_booked"]
    print(
        f"  {file_format}: reading {reading:.2f} s, staging {s['load']:.2f} s, "
        f"checks {s['validate']:.2f} s, booking {s['book']:.2f} s, commit {commit:.2f} s, "
        f"the rest {rest:.2f} s"
    )
    if STATEMENTS:
        for seconds, sql in statements:
            if seconds >= 0.03:
                print(f"    {seconds:6.3f} s  {sql}")
    return elapsed


def _copy_floor(data: bytes) -> float:
    """The floor: COPY the file as text into a table with no checks (committed)."""
    from inventory.imports import HEADERS

    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_floor ({columns})")
        began = time.perf_counter()
        with cursor.cursor.copy("COPY bench_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(data.decode("utf-8-sig"))
        elapsed = time.perf_counter() - began
        cursor.execute("DROP TABLE bench_floor")
    return elapsed


def _fill_county(drugs: list[Any]) -> list[int]:
    """500 pharmacies × 10,000 movements over 100 batches each, written by SQL."""
    ids = [_pharmacy(f"基准县药店{n}", 10 + n).pk for n in range(PHARMACIES)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockbatch (pharmacy_id, drug_id, batch_no, quantity) "
            "SELECT p, %s + (b %% %s), 'CB' || b, 0 "
            "FROM unnest(%s::bigint[]) AS p, generate_series(1, %s) AS b",
            [drugs[0].pk, DRUGS, ids, BATCHES_PER_PHARMACY],
        )
        cursor.execute(
            "INSERT INTO inventory_movement (pharmacy_id, batch_id, drug_id, kind, quantity, "
            "unit_price, occurred_at, supplier, invoice_no, delivery_note_no, reference, "
            "traceability_codes, created_at) "
            "SELECT b.pharmacy_id, b.id, b.drug_id, "
            "CASE WHEN g %% 4 = 0 THEN 'purchase' ELSE 'sale' END, "
            "CASE WHEN g %% 4 = 0 THEN 10 ELSE -1 END, 10, "
            "%s::timestamptz + (g %% 90) * interval '1 day', '', '', '', '', '[]', now() "
            "FROM inventory_stockbatch b, generate_series(1, %s) AS g "
            "WHERE b.pharmacy_id = ANY(%s)",
            [
                timezone.make_aware(datetime(2026, 7, 1)),
                MOVEMENTS_PER_PHARMACY // BATCHES_PER_PHARMACY,
                ids,
            ],
        )
        cursor.execute("ANALYZE inventory_movement")
    return ids


def _sql_floor(sql: str, params: list[Any]) -> float:
    """The time of one plain SQL aggregate over the same movements (the reconciliation floor)."""
    with connection.cursor() as cursor:
        elapsed, _rows = _timed("floor", lambda: (cursor.execute(sql, params), cursor.fetchall()))
    return elapsed


def _csv_imports(drugs: list[Any]) -> Any:
    """The same import REPEAT times, each file new to its own pharmacy (its own batches and
    codes): the median is the figure, the spread shows how noisy the machine is. Returns the
    first run's pharmacy (its movements are reconciled next)."""
    from inventory import imports

    runs: list[float] = []
    floors: list[float] = []
    pharmacies = []
    for n in range(REPEAT):
        pharmacies.append(_pharmacy(f"基准药店CSV{n}", 1 if n == 0 else 600 + n))
        csv_data = imports.write_csv(_purchase_rows(drugs, "CDEFGHIJ"[n % 8]))
        runs.append(_import(pharmacies[-1], csv_data, "csv"))
        floors.append(_copy_floor(csv_data))
    csv_s, floor_s = statistics.median(runs), statistics.median(floors)
    print(
        f"CSV import of {ROWS:,} purchase rows, median of {len(runs)}: {csv_s:.2f} s, "
        f"{ROWS / csv_s:,.0f} rows/s (runs: {', '.join(f'{r:.2f}' for r in runs)} s; "
        f"target ≥ 20,000 rows/s; raw COPY of the file into one table: {floor_s:.2f} s, "
        f"{ROWS / floor_s:,.0f} rows/s; load average {_load()})"
    )
    print(f"  ratio to the SQL floor (raw COPY): {csv_s / floor_s:.1f}× its time")
    return pharmacies[0]


def _xlsx_import(drugs: list[Any]) -> None:
    from inventory import imports

    xlsx_s = _import(
        _pharmacy("基准药店XLSX", 2), imports.write_xlsx(_purchase_rows(drugs, "X")), "xlsx"
    )
    print(
        f"xlsx import of {ROWS:,} purchase rows: {xlsx_s:.2f} s, "
        f"{ROWS / xlsx_s:,.0f} rows/s (load average {_load()})"
    )


def _reconciliation(pharmacy: Any, until: datetime) -> None:
    """One pharmacy-quarter's reconciliation against one SQL aggregate; medians of REPEAT."""
    from inventory.selectors import ledger_reconciliation

    runs = [
        _timed(
            "one",
            lambda: ledger_reconciliation(
                pharmacy=pharmacy, period_start=QUARTER_START, until=until
            ),
        )[0]
        for _n in range(REPEAT)
    ]
    floors = [
        _sql_floor(
            "SELECT batch_id, SUM(quantity) FROM inventory_movement "
            "WHERE pharmacy_id = %s AND occurred_at <= %s GROUP BY batch_id",
            [pharmacy.pk, until],
        )
        for _n in range(REPEAT)
    ]
    one, floor_one = statistics.median(runs), statistics.median(floors)
    print(
        f"reconciliation of one pharmacy-quarter ({ROWS:,} movements), median of {REPEAT}: "
        f"{one * 1000:.0f} ms (target ≤ 1 s; single SQL aggregate: {floor_one * 1000:.0f} ms)"
    )
    print(f"  ratio to the SQL floor (one aggregate): {one / floor_one:.1f}× its time")


def _county(drugs: list[Any], until: datetime) -> None:
    """Every pharmacy of a county reconciled, against one SQL aggregate over all of them."""
    from inventory.selectors import ledger_reconciliation
    from pharmacies.models import Pharmacy

    ids = _fill_county(drugs)
    pharmacies = list(Pharmacy.objects.filter(pk__in=ids))

    def county() -> int:
        for pharmacy in pharmacies:
            ledger_reconciliation(pharmacy=pharmacy, period_start=QUARTER_START, until=until)
        return len(pharmacies)

    county_s, _count = _timed("county", county)
    floor_county = _sql_floor(
        "SELECT pharmacy_id, batch_id, SUM(quantity) FROM inventory_movement "
        "WHERE pharmacy_id = ANY(%s) AND occurred_at <= %s GROUP BY pharmacy_id, batch_id",
        [ids, until],
    )
    total = PHARMACIES * MOVEMENTS_PER_PHARMACY
    print(
        f"reconciliation of {PHARMACIES} pharmacies × {MOVEMENTS_PER_PHARMACY:,} movements "
        f"({total:,}): {county_s:.1f} s (target ≤ 60 s; single SQL aggregate: "
        f"{floor_county:.1f} s)"
    )
    print(f"  ratio to the SQL floor (one aggregate): {county_s / floor_county:.1f}× its time")


def run() -> None:
    random.seed(6)
    until = timezone.make_aware(datetime(2026, 10, 9, 9))
    with bench_database(BENCH_DB):
        drugs = _catalogue()
        csv_pharmacy = _csv_imports(drugs)
        if "xlsx" in PARTS:
            _xlsx_import(drugs)
        if "reconciliation" in PARTS:
            _reconciliation(csv_pharmacy, until)
        if "county" in PARTS:
            _county(drugs, until)
