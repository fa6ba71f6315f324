"""The purchase import's messages (GY-A06, HY-B01, HY-B03, HY-E06), message by message: every
row error of the staging path (inventory/staging.py), by row and column and in the order a user
reads them, for CSV and xlsx files, read by COPY or by the Python reader, and the ledger a good
file books.

The expected messages are in import_errors.json: what the row-by-row validator reported when
there were two paths (it was removed with the second engine, issue 13), so the one path says
exactly what both said."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from inventory import imports, staging
from inventory.models import Drug, Movement, MovementKind, StockBatch, TraceabilityCode
from pharmacies.models import Pharmacy
from tests.factories.inventory import at, book, row, tc

CODE_FORMAT = "格式不正确：应为 20 位数字（在 Excel 中请把追溯码列设为文本格式）"
FileMaker = Callable[[dict[str, Drug]], list[list[Any]]]
EXPECTED = json.loads((Path(__file__).parent / "import_errors.json").read_text())


def _expected(case: str, fmt: str, approval_only: bool) -> tuple[list[Any], int]:
    """The errors (as the result lists them) and the data-row count a case's file gets."""
    entry = EXPECTED[case]["approval_only" if approval_only else "any_category"]
    errors = [list(e) for e in entry["errors"]]
    if fmt == "xlsx":  # an Excel number cell reads as the float it holds
        for n, error in entry.get("xlsx_differs", []):
            errors[n] = error
    return [{"row": r, "column": c, "message": m} for r, c, m in errors], entry["rows"]


def _staged_errors(
    data: bytes, fmt: str, approval_only: bool, pharmacy_id: int | None = None
) -> tuple[list[Any], int]:
    with staging.purchase_stage() as stage:
        result = staging.stage_and_validate(
            stage, data, fmt, approval_only=approval_only, pharmacy_id=pharmacy_id
        )
    return result.errors, result.row_count


def _file(rows: list[list[Any]], fmt: str, header: list[str] | None = None) -> bytes:
    if header is None:
        return imports.write_csv(rows) if fmt == "csv" else imports.write_xlsx(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode()

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    binary = io.BytesIO()
    workbook.save(binary)
    return binary.getvalue()


def bad_rows(c: dict[str, Drug]) -> list[list[Any]]:
    """Every kind of row error the validator knows, several per row."""
    amlo, capto, losa, vals = c["amlodipine"], c["captopril"], c["losartan"], c["valsartan"]
    return [
        row(amlo, traceability_codes=f"{tc('C001')};{tc('C002')}"),
        row(capto, production_date="2025-13-45", traceability_codes=tc("X1")),
        row(losa, quantity="-5", traceability_codes=tc("X2")),
        row(vals, traceability_codes=tc("C001")),  # duplicate of row 2
        row(vals, batch_no="Z", approval_number="准字123", traceability_codes=tc("X3")),
        row(amlo, approval_number="国药准字H99999999", traceability_codes=tc("X4")),  # mismatch
        row(amlo, approval_number="国药准字H１２３４５６７８", traceability_codes=tc("X4b")),
        row(c["health_food"], approval_number="", traceability_codes=tc("X5")),  # HY-B01
        row(c["device"], approval_number="国药准字", traceability_codes=tc("X5b")),
        row(amlo, insurance_code="NOPE", traceability_codes=tc("X6")),
        row(amlo, insurance_code="", generic_name="", quantity="", traceability_codes=""),
        row(amlo, expiry_date="2024-01-01", traceability_codes=tc("X7")),  # before production
        row(amlo, expiry_date="2025-03-01", purchase_date="2026/7/3", traceability_codes=tc("X8")),
        row(
            amlo,
            production_date="20250301",
            purchase_date="2026.07.03",
            traceability_codes=tc("X9"),
        ),
        row(
            amlo,
            production_date="2025-W10-1",
            purchase_date="七月三日",
            traceability_codes=tc("XA"),
        ),
        row(amlo, quantity="0", unit_price="-1", traceability_codes=tc("XB")),
        row(amlo, quantity="2.5", unit_price="NaN", traceability_codes=tc("XC")),
        row(amlo, quantity="²", unit_price="abc", traceability_codes=tc("XD")),
        row(amlo, quantity="９", unit_price="1e3", traceability_codes=tc("XE")),
        row(amlo, quantity="99999999999", unit_price="123456789", traceability_codes=tc("XF")),
        row(
            amlo, quantity="1", traceability_codes=f"{tc('XG')};{tc('XH')}；{tc('XI')}"
        ),  # more codes than quantity
        row(amlo, traceability_codes=f"{tc('XJ')} {tc('XJ')}"),  # duplicate within the row
        row(amlo, traceability_codes="Y" * 41 + f";{tc('XK')};" + "1" * 21),  # too long
        row(amlo, traceability_codes=tc("KNOWN1")),  # registered before
        row(amlo, traceability_codes=f"{tc('KNOWN2')};{tc('C002')};{tc('KNOWN1')}"),
        row(amlo, batch_no="B" * 41, supplier="S" * 101, invoice_no="I" * 41),
        row(amlo, delivery_note_no="D" * 41, traceability_codes=tc("XL")),
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],  # blank: skipped
        row(
            amlo,
            batch_no="\u3000P9 ",
            supplier=" 某公司\t",
            traceability_codes=f" ，{tc('XM')}， ,{tc('XN')} ",
        ),
        row(capto, traceability_codes=";；,，"),  # only separators: no codes
        # A 20-digit code in an Excel number cell: rounded to 15 digits, refused (HY-B03)
        row(capto, traceability_codes=12345678901234567890.0),
        # One production and expiry date per batch: as its first row in the file says, as
        # the pharmacy's batch OLD has them (2025-01-01, 2028-01-01)
        row(capto, batch_no="K9", traceability_codes=tc("XO")),
        row(capto, batch_no="K9", production_date="2025-04-01", traceability_codes=tc("XP")),
        row(losa, batch_no="OLD", expiry_date="2028-01-01", traceability_codes=tc("XQ")),
    ]


def _register_known(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> None:
    book(
        pharmacy,
        catalogue["losartan"],
        MovementKind.PURCHASE,
        5,
        at(date(2026, 6, 1)),
        batch_no="OLD",
        codes=[tc("KNOWN1"), tc("KNOWN2")],
    )


def quote_free_rows(c: dict[str, Drug]) -> list[list[Any]]:
    """bad_rows without the cells a CSV writer must quote, and more whitespace: a file
    PostgreSQL's COPY parses itself (staging.PurchaseStage.load_csv)."""
    rows = [r for r in bad_rows(c) if not any("," in str(v) or '"' in str(v) for v in r)]
    return [
        *rows,
        row(c["amlodipine"], batch_no="\u3000P8\x1f", supplier="\xa0某公司\u2003"),
        row(
            c["captopril"],
            traceability_codes=f"\u3000{tc('QA')}；{tc('QB')}\t{tc('QC')}； {tc('QD')}\u3000",
        ),
    ]


def _csv_text(rows: list[list[Any]], *, end: str = "\n", blank_line: bool = False) -> str:
    lines = [",".join(imports.HEADERS), *(",".join(str(v) for v in r) for r in rows)]
    if blank_line:
        lines.insert(3, "")
    return end.join(lines) + end


# CSV files the fast path takes (True) or leaves to the Python reader (False).
FAST_PATH: dict[str, tuple[bool, Callable[[dict[str, Drug]], bytes]]] = {
    "utf8_bom_crlf": (True, lambda c: imports.write_csv(quote_free_rows(c))),
    "utf8_lf": (True, lambda c: _csv_text(quote_free_rows(c)).encode()),
    # No cell to strip: the cells are taken as COPY read them
    "utf8_nothing_to_strip": (
        True,
        lambda c: imports.write_csv(
            [r for r in quote_free_rows(c) if all(str(v) == str(v).strip() for v in r)]
        ),
    ),
    "quoted": (False, lambda c: _file(bad_rows(c), "csv")),
    "blank_line": (False, lambda c: _csv_text(quote_free_rows(c), blank_line=True).encode()),
    "ragged": (False, lambda c: (_csv_text(quote_free_rows(c)) + "X1,2\n").encode()),
    "gb18030": (False, lambda c: _csv_text(quote_free_rows(c), end="\r\n").encode("gb18030")),
}

CASES: dict[str, Callable[[dict[str, Drug], str], bytes]] = {
    "every_error": lambda c, fmt: _file(bad_rows(c), fmt),
    "quoted_cells": lambda c, fmt: _file(
        [*bad_rows(c), row(c["amlodipine"], supplier='某"公司",有限', traceability_codes=tc("Q1"))],
        fmt,
    ),
    "wrong_columns": lambda c, fmt: _file([["阿司匹林", 3]], fmt, header=["药品", "数量"]),
    "no_rows": lambda c, fmt: _file([], fmt),
    "reordered_and_extra_columns": lambda c, fmt: _file(
        [
            [*reversed(row(c["amlodipine"], quantity="x")), "extra"],
            [*reversed(row(c["captopril"], traceability_codes=f"{tc('R1')};{tc('R1')}")), "more"],
        ],
        fmt,
        header=[*reversed(imports.HEADERS), "备注"],
    ),
    "optional_columns_missing": lambda c, fmt: _file(
        [r[:8] + r[9:13] + r[15:] for r in bad_rows(c)],
        fmt,
        header=imports.HEADERS[:8] + imports.HEADERS[9:13] + imports.HEADERS[15:],
    ),
    "more_errors_than_shown": lambda c, fmt: _file(
        [
            row(
                c["amlodipine"],
                quantity="-1",
                unit_price="x",
                traceability_codes=f"{tc(f'M{n}')};{tc(f'M{n}')}",
            )
            for n in range(700)
        ],
        fmt,
    ),
}


def _more_errors_than_shown() -> tuple[list[Any], int]:
    """700 rows with three errors each: the first ERROR_LIMIT, by row then column."""
    errors = []
    for n in range(700):
        line, code = n + 2, tc(f"M{n}")
        errors += [
            {"row": line, "column": "单价（元）", "message": "须为不小于 0 的金额"},
            {"row": line, "column": "数量", "message": "须为正整数"},
            {"row": line, "column": "追溯码", "message": f"追溯码 {code} 与第 {line} 行重复"},
        ]
    return errors[: staging.ERROR_LIMIT], 700


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("approval_only", [False, True])
def test_gy_a06_hy_b01_import_reports_every_error_by_row_and_column(
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    case: str,
    fmt: str,
    approval_only: bool,
) -> None:
    # Given a pharmacy with batch OLD and two registered codes, and a file with errors
    _register_known(pharmacy, catalogue)
    data = CASES[case](catalogue, fmt)
    # When it is checked
    errors, rows = _staged_errors(data, fmt, approval_only, pharmacy.pk)
    # Then each error is reported by row and column, in reading order, worded as expected
    if case == "more_errors_than_shown":
        expected, expected_rows = _more_errors_than_shown()
    else:
        expected, expected_rows = _expected(case, fmt, approval_only)
    assert errors == expected
    assert rows == expected_rows


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(FAST_PATH))
def test_csv_read_by_copy_or_by_python_reports_the_same_errors(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], case: str
) -> None:
    _register_known(pharmacy, catalogue)
    fast, make = FAST_PATH[case]
    data = make(catalogue)
    taken: list[bool] = []
    load_csv = staging.PurchaseStage.load_csv

    def spy(self: staging.PurchaseStage, *args: Any, **kwargs: Any) -> bool:
        taken.append(load_csv(self, *args, **kwargs))
        return taken[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staging.PurchaseStage, "load_csv", spy)
        staged_errors, staged_rows = _staged_errors(data, "csv", True, pharmacy.pk)
    assert taken == [fast]
    # The same file read by the Python reader (COPY not tried) gets the same messages
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staging.PurchaseStage, "load_csv", lambda *_a, **_kw: False)
        python_errors, python_rows = _staged_errors(data, "csv", True, pharmacy.pk)
    assert python_errors, "each case has errors"
    assert staged_errors == python_errors
    assert staged_rows == python_rows
    # And the quoted file (case every_error's own) gets the messages listed for it
    if case == "quoted":
        assert (staged_errors, staged_rows) == _expected("every_error", "csv", True)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hy_e06_import_applies_the_date_window(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], fmt: str
) -> None:
    # A ledger closed through 2026-10-09 (a count at 09:00), today 2026-10-20
    window = imports.DateWindow(
        closed_through=date(2026, 10, 9), closed_label="2026-10-09 09:00", latest=date(2026, 10, 20)
    )
    amlo = catalogue["amlodipine"]
    rows = [
        row(amlo, purchase_date=day, traceability_codes=tc(day))
        for day in ("2026-08-01", "2026-10-09", "2026-10-10", "2026-10-20", "2026-10-21", "x")
    ]
    data = _file(rows, fmt)
    with staging.purchase_stage() as stage:
        staged = staging.stage_and_validate(stage, data, fmt, approval_only=True, window=window)
    closed = "[HY-E06] 须晚于已提交盘点的实盘时间 2026-10-09 09:00：此前的账目已盘点对账，不能补录"
    assert [(e["row"], e["column"], e["message"]) for e in staged.errors] == [
        (2, "购进日期", closed),
        (3, "购进日期", closed),
        (6, "购进日期", "不能晚于今天"),
        (7, "购进日期", "日期格式应为 YYYY-MM-DD"),
    ]


@pytest.mark.django_db
def test_hy_b01_and_every_row_error_are_named_by_row_and_column(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # What a user reads for the bad rows (each of them checked above, in import_errors.json)
    _register_known(pharmacy, catalogue)
    errors, rows = _staged_errors(_file(bad_rows(catalogue), "csv"), "csv", True, pharmacy.pk)
    found = {(e["row"], e["column"], e["message"]) for e in errors}
    assert rows == len(bad_rows(catalogue)) - 1  # the blank row is not a data row
    for expected in [
        (3, "生产日期", "日期格式应为 YYYY-MM-DD"),
        (4, "数量", "须为正整数"),
        (5, "追溯码", f"追溯码 {tc('C001')} 与第 2 行重复"),
        (6, "批准文号", "格式应为 国药准字H/Z/S/J + 8 位数字"),
        (7, "批准文号", "与药品目录中的批准文号不一致"),
        (
            9,
            "国家医保药品编码",
            "[HY-B01] 特门场所只能经营准字号药品，不得进货“保健食品（健字号）”",
        ),
        (11, "国家医保药品编码", "药品目录中没有此编码"),
        (12, "通用名", "不能为空"),
        (13, "有效期至", "有效期须晚于生产日期"),
        (21, "数量", "数量过大"),
        (21, "单价（元）", "金额过大"),
        (22, "追溯码", "追溯码个数多于数量"),
        (23, "追溯码", f"追溯码 {tc('XJ')} 与第 23 行重复"),
        (24, "追溯码", f"[HY-B03] 追溯码 {'Y' * 40} {CODE_FORMAT}"),
        (24, "追溯码", f"[HY-B03] 追溯码 {'1' * 21} {CODE_FORMAT}"),
        (25, "追溯码", f"追溯码 {tc('KNOWN1')} 已登记过"),
        (32, "追溯码", f"[HY-B03] 追溯码 1.2345678901234567e+19 {CODE_FORMAT}"),
        (34, "生产日期", "与第 33 行同一批号的日期不一致（2025-03-01）"),
        (35, "生产日期", "与本店已登记的同一批号不一致（2025-01-01）"),
        (27, "批号", "不能超过 40 个字符"),
        (27, "供货单位", "不能超过 100 个字符"),
    ]:
        assert expected in found, expected
    # The device with a malformed approval number is refused for both reasons
    assert {(e["column"], e["message"][:8]) for e in errors if e["row"] == 10} == {
        ("国家医保药品编码", "[HY-B01]"),
        ("批准文号", "格式应为 国药准"),
    }


def good_rows(c: dict[str, Drug]) -> list[list[Any]]:
    amlo, capto = c["amlodipine"], c["captopril"]
    return [
        row(amlo, traceability_codes=f"{tc('G001')};{tc('G002')}"),
        row(
            amlo,
            quantity="7",
            unit_price="3.1",
            traceability_codes=f"{tc('G003')}，{tc('G004')} {tc('G005')}",
        ),
        row(capto, batch_no="K7", quantity="5", traceability_codes="；"),
        row(capto, batch_no="K7", traceability_codes=tc("G006")),
        row(
            amlo,
            batch_no="OLD",
            production_date="2025-01-01",  # as the pharmacy's batch OLD has them
            expiry_date="2028-01-01",
            purchase_date="2026/7/9",
            traceability_codes=f" {tc('G007')} ；",
        ),
        row(c["special_food"], approval_number="", unit_price="0", traceability_codes=tc("G008")),
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        row(amlo, batch_no=" P1 ", invoice_no="", delivery_note_no="", unit_price="12.34567"),
    ]


def _ledger(pharmacy: Pharmacy) -> dict[str, Any]:
    """The pharmacy's ledger without database ids."""
    batches = {
        b.pk: (b.drug.insurance_code, b.batch_no)
        for b in StockBatch.objects.filter(pharmacy=pharmacy).select_related("drug")
    }
    return {
        "batches": sorted(
            (b.drug.insurance_code, b.batch_no, b.production_date, b.expiry_date, b.quantity)
            for b in StockBatch.objects.filter(pharmacy=pharmacy).select_related("drug")
        ),
        "movements": [
            (
                batches[m.batch_id],
                m.drug.insurance_code,
                m.kind,
                m.quantity,
                m.unit_price,
                m.occurred_at,
                m.supplier,
                m.invoice_no,
                m.delivery_note_no,
                m.reference,
                m.traceability_codes,
                m.created_by_id,
            )
            for m in Movement.objects.filter(pharmacy=pharmacy)
            .select_related("drug")
            .order_by("pk")
        ],
        "codes": sorted(
            (t.code, batches[t.batch_id], t.received_in.invoice_no if t.received_in else None)
            for t in TraceabilityCode.objects.filter(pharmacy=pharmacy).select_related(
                "received_in"
            )
        ),
    }


def _day(d: int) -> datetime:
    """A purchase booked on 2026-07-d: midnight in Asia/Shanghai."""
    return datetime(2026, 7, d - 1, 16, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_gy_a06_import_books_the_ledger_the_file_describes(
    pharmacy: Pharmacy, catalogue: dict[str, Drug], fmt: str
) -> None:
    # Given a pharmacy that already stocks batch OLD, and a file adding to it and new batches
    book(
        pharmacy,
        catalogue["amlodipine"],
        MovementKind.PURCHASE,
        4,
        at(date(2026, 6, 1)),
        batch_no="OLD",
    )
    rows = good_rows(catalogue)
    if fmt == "xlsx":  # typed date cells, as Excel saves them
        rows[0][imports.SLOT["expiry_date"]] = datetime(2027, 2, 28)
        rows[1][imports.SLOT["production_date"]] = date(2025, 3, 1)
    data = _file(rows, fmt)
    # When it is checked and booked
    with staging.purchase_stage() as stage:
        checked = staging.stage_and_validate(
            stage, data, fmt, approval_only=True, pharmacy_id=pharmacy.pk
        )
        assert not checked.errors, checked.errors
        count = stage.book(pharmacy_id=pharmacy.pk, import_id=None, actor_id=None)
    # Then its seven data rows are the ledger's new purchases, batch by batch, code by code
    assert count == 7
    ledger = _ledger(pharmacy)
    produced, expires = date(2025, 3, 1), date(2027, 2, 28)
    amlo, capto, food = "XC0000000001", "XC0000000002", "SF0000000006"
    assert ledger["batches"] == [
        (food, "P1", produced, expires, 20),
        (amlo, "OLD", date(2025, 1, 1), date(2028, 1, 1), 24),
        (amlo, "P1", produced, expires, 47),
        (capto, "K7", produced, expires, 25),
    ]
    supplier = "国药控股湖南有限公司"

    def purchase(
        drug: str, batch: str, qty: int, price: str, day: int, codes: list[str], paper: bool = True
    ) -> tuple[Any, ...]:
        notes = ("FP001", "SH001") if paper else ("", "")
        return (
            (drug, batch), drug, "purchase", qty, Decimal(price), _day(day), supplier, *notes,
            "", codes, None,
        )  # fmt: skip

    assert ledger["movements"] == [
        ((amlo, "OLD"), amlo, "purchase", 4, None, at(date(2026, 6, 1)), "", "", "", "", [], None),
        purchase(amlo, "P1", 20, "12.5000", 3, [tc("G001"), tc("G002")]),
        purchase(amlo, "P1", 7, "3.1000", 3, [tc("G003"), tc("G004"), tc("G005")]),
        purchase(capto, "K7", 5, "12.5000", 3, []),
        purchase(capto, "K7", 20, "12.5000", 3, [tc("G006")]),
        purchase(amlo, "OLD", 20, "12.5000", 9, [tc("G007")]),
        purchase(food, "P1", 20, "0.0000", 3, [tc("G008")]),
        purchase(amlo, "P1", 20, "12.3457", 3, [tc("C001"), tc("C002")], paper=False),
    ]
    assert ledger["codes"] == sorted(
        [
            *((tc(c), (amlo, "P1"), "FP001") for c in ("G001", "G002", "G003", "G004", "G005")),
            (tc("G006"), (capto, "K7"), "FP001"),
            (tc("G007"), (amlo, "OLD"), "FP001"),
            (tc("G008"), (food, "P1"), "FP001"),
            (tc("C001"), (amlo, "P1"), ""),
            (tc("C002"), (amlo, "P1"), ""),
        ]
    )


@pytest.mark.django_db
def test_split_codes_separators() -> None:
    assert imports.split_codes(" A1；B2,C3，D4 E5;;\u3000F6\u3000 ") == [
        "A1",
        "B2",
        "C3",
        "D4",
        "E5",
        "F6",
    ]


@pytest.mark.django_db
def test_staged_import_reports_progress_in_phases(
    pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    seen: list[int] = []
    rows = [row(catalogue["amlodipine"], traceability_codes=tc(f"P{n}")) for n in range(40)]
    with staging.purchase_stage() as stage:
        staging.stage_and_validate(
            stage, _file(rows, "csv"), "csv", approval_only=False, progress=seen.append
        )
    assert seen == sorted(seen) and seen[0] >= 1 and seen[-1] == 70 and len(set(seen)) >= 3
