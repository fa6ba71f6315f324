"""Purchase imports: the file's cells are COPYed into temporary staging tables, checked
set-based in SQL and booked with INSERT … SELECT (GY-A06, HY-B01, HY-B03, HY-E06).

Cells are read with the readers of inventory/imports.py (CSV by PostgreSQL's COPY when it can,
else by Python), stripped and split into traceability codes as those readers do, and messages
are formatted from its table; each distinct date, quantity, price or approval-number text is
parsed once by the same Python function. Everything per row — required cells, the catalogue
join, HY-B01, date order, one production and expiry date per batch, duplicate and already
registered codes — is SQL over the whole file at once.
"""

# SQL here is assembled from this module's own table and column names; every value from the
# file travels as a parameter or through COPY.
# ruff: noqa: S608

from __future__ import annotations

import codecs
import contextlib
import functools
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NamedTuple

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from inventory import imports
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    CODE_MAY_RETURN_KINDS,
    TRACEABILITY_CODE_SQL,
    MovementKind,
)

STAGE = "inventory_purchase_stage"
CODES = "inventory_purchase_stage_code"
LITERALS = "inventory_purchase_stage_literal"
CHECKED = "inventory_purchase_stage_checked"
BATCHES = "inventory_purchase_stage_batch"
KNOWN = "inventory_purchase_stage_known"
TABLES = (STAGE, CODES, LITERALS, CHECKED, BATCHES, KNOWN)
CELLS = [f"c{n}" for n in range(len(imports.COLUMNS))]
S = imports.SLOT
ERROR_LIMIT = 1000
CHUNK = 5000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@functools.cache
def _whitespace() -> str:
    """Every character str.strip() removes, for btrim()."""
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


# UTF-8 of every whitespace character but space and line ends, and how a cell of a
# quote-free CSV file can start or end with a space: a file with none of these has no cell
# to strip. Substring tests (memchr), led by one byte each: a regular expression over a
# 20 MB file takes half a second.
_OTHER_SPACE: dict[bytes, tuple[bytes, ...]] = {}
for _c in _whitespace():
    if _c not in " \r\n":
        _OTHER_SPACE.setdefault(_c.encode()[:1], ())
        _OTHER_SPACE[_c.encode()[:1]] += (_c.encode(),)
_EDGE_SPACE = (b", ", b" ,", b"\n ", b"\r ", b" \n", b" \r")


def _needs_strip(body: bytes) -> bool:
    """Whether a quote-free UTF-8 CSV file has a cell str.strip() would change."""
    if b" " in body and (
        body.startswith(b" ") or body.endswith(b" ") or any(e in body for e in _EDGE_SPACE)
    ):
        return True
    return any(
        lead in body and any(c in body for c in chars) for lead, chars in _OTHER_SPACE.items()
    )


def _copy_line(fields: list[str]) -> str:
    """One line of COPY text format; fields are escaped only when they need it."""
    line = "\t".join(fields)
    if line.count("\t") != len(fields) - 1 or "\\" in line or "\n" in line or "\r" in line:
        line = "\t".join(f.translate(_ESCAPES) for f in fields)
    return line


class PurchaseStage:
    """The staging tables of one import, on the current connection (temporary tables live
    as long as the session; they are dropped when the import ends)."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.row_count = 0
        self.arriving = 0  # codes known before that may arrive again (see _known_codes)
        self.sequence = ""
        self.strip_codes = True  # whether codes split from a cell need stripping

    # -- loading ------------------------------------------------------------------------

    def create(self) -> None:
        self.drop()
        cur = self.cursor
        # Sorts and hashes of 100,000 rows fit in memory; these plans are simple enough
        # that compiling them (JIT) costs more than it saves; the staging tables have no
        # statistics (ANALYZE costs more than it saves), so the planner would pick merge joins
        # of sorted text where hash joins are cheaper. For this session's import only.
        cur.execute(
            "SELECT set_config('work_mem', '64MB', false), set_config('jit', 'off', false), "
            "set_config('enable_mergejoin', 'off', false)"
        )
        cur.execute("SELECT pg_get_serial_sequence('inventory_movement', 'id')")
        self.sequence = cur.fetchone()[0]
        cur.execute(
            f"CREATE TEMP TABLE {LITERALS} (kind text NOT NULL, t text NOT NULL, d date, "
            "n numeric, err text, ok boolean, PRIMARY KEY (kind, t))"
        )

    def _create_stage(self, extra: list[str]) -> None:
        """One row per file row: its line, the movement id it will book (drawn as the rows
        arrive, in file order), the cells of COLUMNS and the file's other columns."""
        cells = ", ".join(f"{c} text NOT NULL DEFAULT ''" for c in CELLS)
        others = "".join(f", {x} text" for x in extra)
        self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.cursor.execute(
            f"CREATE TEMP TABLE {STAGE} ("
            "line integer GENERATED BY DEFAULT AS IDENTITY (START WITH 2) NOT NULL, "
            f"mid bigint NOT NULL DEFAULT nextval(%s::regclass), {cells}{others})",
            [self.sequence],
        )

    def drop(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}")

    def reset(self) -> None:
        self.drop()
        self.cursor.execute("RESET work_mem; RESET jit; RESET enable_mergejoin")

    def load(
        self,
        rows: list[list[Any]],
        cells_of: Callable[[list[Any]], list[str]],
        progress: Callable[[int], None] | None,
        *,
        span: tuple[int, int],
    ) -> None:
        """COPY every non-blank row's cells (as the validator sees them)."""
        total = max(len(rows), 1)
        step = max(total // 10, 1)
        low, high = span
        stage_lines: list[str] = []
        # The text is prepared first: progress is written on this same connection, which a
        # running COPY holds.
        for offset, raw in enumerate(rows):
            if progress and offset % step == 0:
                progress(low + (high - low) * offset // total)
            cells = cells_of(raw)
            if not any(cells):
                continue
            line = offset + 2  # row 1 is the header
            stage_lines.append(_copy_line([str(line), *cells]))
        self.row_count = len(stage_lines)
        self.strip_codes = True  # cells are stripped; codes within a cell not yet
        self._create_stage([])
        with self.cursor.cursor.copy(f"COPY {STAGE} (line, {', '.join(CELLS)}) FROM STDIN") as copy:
            for start in range(0, len(stage_lines), CHUNK):
                copy.write("\n".join(stage_lines[start : start + CHUNK]) + "\n")

    def load_csv(
        self,
        data: bytes,
        header: list[str],
        progress: Callable[[int], None] | None,
        *,
        span: tuple[int, int],
        utf8: bool = True,
    ) -> bool:
        """The fast path of load() for a UTF-8 CSV file without quotes: PostgreSQL's COPY
        parses it straight into the staging table, SQL strips the cells as
        imports.cells_reader does (only if some cell needs it). False (nothing staged) when
        the file is not such a file (`utf8`: it decodes as UTF-8) or COPY refuses it
        (ragged or blank lines, mixed line ends): load() reads it then."""
        body = data.removeprefix(codecs.BOM_UTF8)
        if not utf8 or b'"' in body or b"\\." in body or b"\0" in body:
            return False
        if progress:
            progress(span[0])
        # Each file column goes to its cell (the first column of a header counts, as in
        # imports.positions_of), or to a column of its own.
        slots = {h: n for n, h in enumerate(imports.HEADERS)}
        names = [
            CELLS[slots[h]] if h in slots and header.index(h) == i else f"x{i}"
            for i, h in enumerate(header)
        ]
        mapped = [n for n in names if not n.startswith("x")]
        # btrim() costs a second per 100,000 rows, and most files need none.
        self.strip_codes = _needs_strip(body)
        try:
            with transaction.atomic():
                self._create_stage([n for n in names if n.startswith("x")])
                columns = ", ".join(names)
                with self.cursor.cursor.copy(
                    f"COPY {STAGE} ({columns}) FROM STDIN "
                    f"(FORMAT csv, HEADER true, FORCE_NOT_NULL ({columns}))"
                ) as copy:
                    for start in range(0, len(body), 1 << 20):
                        copy.write(body[start : start + (1 << 20)])
                copied = self.cursor.cursor.rowcount
                if progress:
                    progress((span[0] + span[1]) // 2)
                if self.strip_codes and mapped:
                    self.cursor.execute(
                        f"UPDATE {STAGE} SET "
                        + ", ".join(f"{c} = btrim({c}, %(space)s)" for c in mapped),
                        {"space": _whitespace()},
                    )
                blank = " AND ".join(f"{cell} = ''" for cell in CELLS)
                self.cursor.execute(f"DELETE FROM {STAGE} WHERE {blank}")
                self.row_count = copied - self.cursor.rowcount
        except (DatabaseError, psycopg.Error):
            self.row_count = 0
            return False
        return True

    # -- checking -----------------------------------------------------------------------

    def _distinct(self, sql: str) -> list[str]:
        self.cursor.execute(sql)
        return [r[0] for r in self.cursor.fetchall()]

    def _parse_literals(self) -> None:
        """Each distinct date / quantity / price / differing approval number, parsed once by
        the validator's own functions."""
        c = S
        rows: list[tuple[Any, ...]] = []
        for text in self._distinct(
            f"SELECT {CELLS[c['production_date']]} FROM {STAGE} "
            f"UNION SELECT {CELLS[c['expiry_date']]} FROM {STAGE} "
            f"UNION SELECT {CELLS[c['purchase_date']]} FROM {STAGE}"
        ):
            if text:
                rows.append(("date", text, imports.parse_date(text), None, None, None))
        for text in self._distinct(f"SELECT DISTINCT {CELLS[c['quantity']]} FROM {STAGE}"):
            if text:
                quantity, kind = imports.parse_quantity(text)
                rows.append(("quantity", text, None, quantity, kind or None, None))
        for text in self._distinct(f"SELECT DISTINCT {CELLS[c['unit_price']]} FROM {STAGE}"):
            if text:
                price, kind = imports.parse_price(text)
                rows.append(("price", text, None, price, kind or None, None))
        approval, code = CELLS[c["approval_number"]], CELLS[c["insurance_code"]]
        for text in self._distinct(
            f"SELECT DISTINCT s.{approval} FROM {STAGE} s "
            f"JOIN inventory_drug d ON d.insurance_code = s.{code} "
            f"WHERE s.{approval} <> d.approval_number"
        ):
            rows.append(("approval", text, None, None, None, imports.approval_format_ok(text)))
        with self.cursor.cursor.copy(
            f"COPY {LITERALS} (kind, t, d, n, err, ok) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)

    def _check_rows(self) -> None:
        """One row per data row with its drug, parsed values and codes; then one row per
        code (split as imports.split_codes splits, in order)."""
        c = {key: CELLS[n] for key, n in S.items()}
        separators = "".join(imports.CODE_SEPARATORS)
        to = imports.CODE_SEPARATORS[0]
        cell = f"s.{c['traceability_codes']}"
        parts = f"string_to_array(translate({cell}, %(seps)s, %(to)s), %(to1)s)"
        if self.strip_codes:
            code_list = (
                f"ARRAY(SELECT b FROM unnest({parts}) WITH ORDINALITY AS p(part, ord), "
                "btrim(p.part, %(space)s) AS b WHERE b <> '' ORDER BY p.ord)"
            )
        else:
            code_list = f"array_remove({parts}, '')"
        # Most cells hold one code or none: no separator, nothing to split (the cell is
        # stripped already). OFFSET 0 keeps the list computed once per row.
        single = " AND ".join(f"strpos({cell}, %(sep{n})s) = 0" for n in range(len(separators)))
        code_list = (
            f"CASE WHEN {single} THEN CASE WHEN {cell} = '' THEN '{{}}'::text[] "
            f"ELSE ARRAY[{cell}] END ELSE {code_list} END"
        )
        self.cursor.execute(
            f"CREATE TEMP TABLE {CHECKED} AS "
            "SELECT s.*, d.id AS drug_id, d.category, d.approval_number AS drug_approval, "
            "pd.d AS produced, ed.d AS expires, bd.d AS purchased, "
            "q.n::integer AS quantity, q.err AS quantity_err, p.n AS price, p.err AS price_err, "
            "a.ok AS approval_ok, cardinality(k.list) AS code_count, k.list AS code_list "
            f"FROM {STAGE} s CROSS JOIN LATERAL (SELECT {code_list} AS list OFFSET 0) k "
            f"LEFT JOIN inventory_drug d ON d.insurance_code = s.{c['insurance_code']} "
            f"LEFT JOIN {LITERALS} pd ON pd.kind = 'date' AND pd.t = s.{c['production_date']} "
            f"LEFT JOIN {LITERALS} ed ON ed.kind = 'date' AND ed.t = s.{c['expiry_date']} "
            f"LEFT JOIN {LITERALS} bd ON bd.kind = 'date' AND bd.t = s.{c['purchase_date']} "
            f"LEFT JOIN {LITERALS} q ON q.kind = 'quantity' AND q.t = s.{c['quantity']} "
            f"LEFT JOIN {LITERALS} p ON p.kind = 'price' AND p.t = s.{c['unit_price']} "
            f"LEFT JOIN {LITERALS} a ON a.kind = 'approval' AND a.t = s.{c['approval_number']}",
            {
                "space": _whitespace(),
                "seps": separators,
                "to": to * len(separators),
                "to1": to,
                **{f"sep{n}": sep for n, sep in enumerate(separators)},
            },
        )
        # `ok`: the code is well formed (HY-B03); only those are checked further.
        self.cursor.execute(
            f"CREATE TEMP TABLE {CODES} AS SELECT r.line, k.ord, k.code, r.mid, r.drug_id, "
            f"r.{c['batch_no']} AS batch_no, k.code ~ %s AS ok "
            f"FROM {CHECKED} r, unnest(r.code_list) WITH ORDINALITY AS k(code, ord) "
            "WHERE r.code_count > 0",
            [TRACEABILITY_CODE_SQL],
        )

    def _error_queries(
        self, approval_only: bool, window: imports.DateWindow, pharmacy_id: int | None
    ) -> tuple[list[str], list[Any]]:
        """SELECTs of (line, column, step, sub, kind, text param, number param). `step` and
        `sub` order the errors of one cell as a user reads them (the order of the checks)."""
        parts: list[str] = []
        params: list[Any] = []
        for sql, values in (
            _row_error_query(_row_checks(approval_only, window)),
            _batch_date_query(pharmacy_id),
            *_code_queries(),
        ):
            parts.append(sql)
            params.extend(values)
        return parts, params

    def _known_codes(self) -> None:
        """The file's codes registered before, and whether each may arrive here (HY-B03: it
        left its pharmacy by transfer out or purchase return, and was not sold)."""
        kinds = ", ".join(f"'{k.value}'" for k in sorted(CODE_MAY_RETURN_KINDS))
        self.cursor.execute(
            f"CREATE TEMP TABLE {KNOWN} AS SELECT t.id, t.code, "
            f"(t.sold_in_id IS NULL AND coalesce(m.kind IN ({kinds}), false)) AS may_arrive "
            "FROM inventory_traceabilitycode t "
            "LEFT JOIN inventory_movement m ON m.id = t.left_in_id "
            f"WHERE t.code IN (SELECT code FROM {CODES} WHERE ok)",
        )
        self.cursor.execute(f"SELECT count(*) FILTER (WHERE may_arrive) FROM {KNOWN}")
        self.arriving = int(self.cursor.fetchone()[0])

    def validate(
        self,
        approval_only: bool,
        window: imports.DateWindow | None = None,
        pharmacy_id: int | None = None,
    ) -> imports.ValidationResult:
        """Every error of the file, at most ERROR_LIMIT, sorted as the validator sorts."""
        result = imports.ValidationResult(row_count=self.row_count)
        if not self.row_count:
            result.error(2, "", "no_rows")
            return result
        self._parse_literals()
        self._check_rows()
        self._known_codes()
        parts, params = self._error_queries(
            approval_only, window or imports.DateWindow(), pharmacy_id
        )
        self.cursor.execute(
            "SELECT line, col, kind, p, n FROM ("
            + " UNION ALL ".join(f"({part})" for part in parts)
            + ') AS e(line, col, step, sub, kind, p, n) ORDER BY line, col COLLATE "C", '
            "step, sub LIMIT %s",
            [*params, ERROR_LIMIT],
        )
        for line, column, kind, text, number in self.cursor.fetchall():
            result.error(line, column, kind, _params(kind, text, number))
        return result

    # -- booking ------------------------------------------------------------------------

    def earliest_purchase(self) -> date | None:
        """The file's earliest purchase date (after validate() found nothing)."""
        self.cursor.execute(f"SELECT min(purchased) FROM {CHECKED}")
        earliest: date | None = self.cursor.fetchone()[0]
        return earliest

    def book(self, *, pharmacy_id: int, import_id: int | None, actor_id: int | None) -> int:
        """Book the checked rows: batches upserted (locked in (drug, batch) order), one
        purchase movement per row, every traceability code registered. Call only after
        validate() found nothing, inside the caller's transaction."""
        cur = self.cursor
        batch_no = CELLS[S["batch_no"]]
        cur.execute(f"CREATE TEMP TABLE {BATCHES} (id bigint, drug_id bigint, batch_no text)")
        cur.execute(
            "WITH up AS (INSERT INTO inventory_stockbatch AS s "
            "(pharmacy_id, drug_id, batch_no, production_date, expiry_date, quantity) "
            "SELECT %s, g.drug_id, g.batch_no, f.produced, f.expires, g.quantity "
            f"FROM (SELECT drug_id, {batch_no} AS batch_no, min(line) AS first, "
            f"sum(quantity)::integer AS quantity FROM {CHECKED} GROUP BY drug_id, {batch_no}) g "
            f"JOIN {CHECKED} f ON f.line = g.first "
            f'ORDER BY g.drug_id, g.batch_no COLLATE "C" '
            "ON CONFLICT (pharmacy_id, drug_id, batch_no) "
            "DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity "
            "RETURNING id, drug_id, batch_no) "
            f"INSERT INTO {BATCHES} SELECT id, drug_id, batch_no FROM up",
            [pharmacy_id],
        )
        c = {key: CELLS[n] for key, n in S.items()}
        now = timezone.now()
        cur.execute(f"ANALYZE {BATCHES}")  # the joins below hash it, not the wide rows
        cur.execute(
            "INSERT INTO inventory_movement (id, pharmacy_id, batch_id, drug_id, kind, "
            "quantity, unit_price, occurred_at, supplier, invoice_no, delivery_note_no, "
            "reference, traceability_codes, purchase_import_id, created_by_id, created_at) "
            "SELECT r.mid, %s, b.id, r.drug_id, %s, r.quantity, r.price, "
            "r.purchased::timestamp AT TIME ZONE %s, "
            f"r.{c['supplier']}, r.{c['invoice_no']}, r.{c['delivery_note_no']}, '', "
            "to_jsonb(r.code_list), %s, %s, %s "
            f"FROM {CHECKED} r JOIN {BATCHES} b "
            f"ON b.drug_id = r.drug_id AND b.batch_no = r.{batch_no}",
            [
                pharmacy_id,
                MovementKind.PURCHASE.value,
                timezone.get_current_timezone_name(),
                import_id,
                actor_id,
                now,
            ],
        )
        booked = cur.rowcount
        arriving = ""
        if self.arriving:
            # HY-B03: codes that left another pharmacy by transfer or return move here,
            # checked again under the row lock the update takes.
            kinds = ", ".join(f"'{k.value}'" for k in sorted(CODE_MAY_RETURN_KINDS))
            cur.execute(
                "UPDATE inventory_traceabilitycode t SET pharmacy_id = %s, batch_id = b.id, "
                "received_in_id = r.mid, left_in_id = NULL "
                f"FROM {KNOWN} n JOIN {CODES} k ON k.code = n.code "
                f"JOIN {CHECKED} r ON r.line = k.line "
                f"JOIN {BATCHES} b ON b.drug_id = r.drug_id AND b.batch_no = r.{batch_no} "
                "WHERE t.id = n.id AND n.may_arrive AND t.sold_in_id IS NULL AND EXISTS ("
                "SELECT 1 FROM inventory_movement m "
                f"WHERE m.id = t.left_in_id AND m.kind IN ({kinds}))",
                [pharmacy_id],
            )
            if cur.rowcount != self.arriving:
                raise DatabaseError("traceability codes changed while the file was checked")
            arriving = f"AND NOT EXISTS (SELECT 1 FROM {KNOWN} n WHERE n.code = k.code) "
        cur.execute(
            "INSERT INTO inventory_traceabilitycode "
            "(code, pharmacy_id, batch_id, received_in_id, sold_in_id) "
            "SELECT k.code, %s, b.id, k.mid, NULL "
            f"FROM {CODES} k JOIN {BATCHES} b ON b.drug_id = k.drug_id AND b.batch_no = k.batch_no "
            f"WHERE true {arriving}",
            [pharmacy_id],
        )
        return int(booked)


class _Check(NamedTuple):
    """A check of one staged row: where `condition` holds, the row has error `kind` (an SQL
    expression) in `column`, with its text and number params (SQL expressions)."""

    condition: str
    column: str
    step: int
    kind: str
    text: str = "NULL"
    number: str = "NULL"


_CELL = {key: CELLS[n] for key, n in S.items()}
_HEADER = dict(imports.COLUMNS)


def _cell_checks(approval_only: bool) -> list[_Check]:
    """The checks of the cells themselves: required, length, the catalogue (HY-B01 and the
    approval number), dates and their order."""
    c, h = _CELL, _HEADER
    checks = [
        _Check(f"{c[key]} = ''", header, 1, "'required'")
        for key, header in imports.COLUMNS
        if key in imports.REQUIRED
    ]
    checks += [
        _Check(
            f"length({CELLS[slot]}) > {int(limit)}",
            header,
            2,
            "'too_long'",
            "NULL",
            str(int(limit)),
        )
        for slot, header, limit in imports.text_limits()
    ]
    code = h["insurance_code"]
    checks.append(
        _Check(f"drug_id IS NULL AND {c['insurance_code']} <> ''", code, 3, "'unknown_drug'")
    )
    if approval_only:
        allowed = ", ".join(f"'{v}'" for v in sorted(str(v) for v in APPROVAL_ONLY_ALLOWED))
        checks.append(_Check(f"category NOT IN ({allowed})", code, 4, "'hy_b01'", "category"))
    checks.append(
        _Check(
            f"{c['approval_number']} <> drug_approval AND (NOT approval_ok OR drug_approval <> '')",
            h["approval_number"],
            5,
            "CASE WHEN approval_ok THEN 'approval_mismatch' ELSE 'approval_format' END",
        )
    )
    for key, parsed in (
        ("production_date", "produced"),
        ("expiry_date", "expires"),
        ("purchase_date", "purchased"),
    ):
        checks.append(_Check(f"{c[key]} <> '' AND {parsed} IS NULL", h[key], 6, "'date_format'"))
    checks.append(_Check("expires <= produced", h["expiry_date"], 7, "'expiry_order'"))
    return checks


def _window_checks(window: imports.DateWindow) -> list[_Check]:
    """HY-E06 and today: the window's dates and label are the portal's, not the file's."""
    checks = []
    column = _HEADER["purchase_date"]
    if window.closed_through:
        label = window.closed_label
        assert re.fullmatch(r"[0-9: -]*", label)
        checks.append(
            _Check(
                f"purchased <= DATE '{window.closed_through.isoformat()}'",
                column,
                7,
                "'closed_period'",
                f"'{label}'",
            )
        )
    if window.latest:
        condition = f"purchased > DATE '{window.latest.isoformat()}'"
        if window.closed_through:
            condition += f" AND purchased > DATE '{window.closed_through.isoformat()}'"
        checks.append(_Check(condition, column, 7, "'future_date'"))
    return checks


def _row_checks(approval_only: bool, window: imports.DateWindow) -> list[_Check]:
    h = _HEADER
    return [
        *_cell_checks(approval_only),
        *_window_checks(window),
        _Check("quantity_err IS NOT NULL", h["quantity"], 8, "quantity_err"),
        _Check("price_err IS NOT NULL", h["unit_price"], 9, "price_err"),
        _Check("code_count > quantity", h["traceability_codes"], 11, "'code_count'"),
    ]


def _row_error_query(checks: list[_Check]) -> tuple[str, list[Any]]:
    """One scan finds the rows with any error; only those are taken apart."""
    values = [
        f"(coalesce({check.condition}, false), %s, {check.step}, {check.kind}, "
        f"{check.text}::text, {check.number}::integer)"
        for check in checks
    ]
    return (
        "SELECT r.line, e.col, e.step, 0, e.kind, e.p, e.n "
        f"FROM (SELECT * FROM {CHECKED} WHERE "
        + " OR ".join(f"coalesce({check.condition}, false)" for check in checks)
        + ") r CROSS JOIN LATERAL (VALUES "
        + ", ".join(values)
        + ") AS e(bad, col, step, kind, p, n) WHERE e.bad",
        [check.column for check in checks],
    )


def _batch_date_query(pharmacy_id: int | None) -> tuple[str, list[Any]]:
    """One production and expiry date per batch: the pharmacy's batch's, else those of the
    batch's first row in the file. Only batches that could disagree are taken apart: the
    pharmacy has them already, or their rows carry more than one date (one hash aggregate
    finds both)."""
    batch = _CELL["batch_no"]
    return (
        "SELECT line, col, 12, 0, "
        "CASE WHEN known THEN 'batch_date_known' ELSE 'batch_date_file' END, "
        "to_char(expected, 'YYYY-MM-DD'), CASE WHEN known THEN NULL ELSE first END "
        "FROM (SELECT r.line, x.col, x.value, x.expected, s.known, s.first FROM ("
        "SELECT g.drug_id, g.batch_no, g.first, b.id IS NOT NULL AS known, "
        "b.production_date AS known_produced, b.expiry_date AS known_expires FROM ("
        f"SELECT drug_id, {batch} AS batch_no, min(line) AS first, "
        "min(produced) <> max(produced) OR min(expires) <> max(expires) AS differ "
        f"FROM {CHECKED} WHERE drug_id IS NOT NULL AND {batch} <> '' GROUP BY 1, 2) g "
        "LEFT JOIN inventory_stockbatch b ON b.pharmacy_id = %s "
        "AND b.drug_id = g.drug_id AND b.batch_no = g.batch_no "
        "WHERE b.id IS NOT NULL OR g.differ) s "
        f"JOIN {CHECKED} r ON r.drug_id = s.drug_id AND r.{batch} = s.batch_no "
        f"JOIN {CHECKED} f ON f.line = s.first "
        "CROSS JOIN LATERAL (VALUES "
        "(%s, r.produced, CASE WHEN s.known THEN s.known_produced ELSE f.produced END), "
        "(%s, r.expires, CASE WHEN s.known THEN s.known_expires ELSE f.expires END)"
        ") AS x(col, value, expected)) d WHERE value <> expected",
        [pharmacy_id, _HEADER["production_date"], _HEADER["expiry_date"]],
    )


def _code_queries() -> list[tuple[str, list[Any]]]:
    """HY-B03: malformed codes; a code seen before (in an earlier row, or earlier in the same
    row) is a duplicate of its first occurrence; a code registered before that may not arrive
    here."""
    traced = _HEADER["traceability_codes"]
    return [
        (
            f"SELECT line, %s, 10, ord, 'code_format', left(code, %s), NULL FROM {CODES} "
            "WHERE NOT ok",
            [traced, imports.CODE_SHOWN],
        ),
        (
            "SELECT line, %s, 10, ord, 'code_duplicate', code, first_line FROM ("
            "SELECT line, ord, code, min(line) OVER w AS first_line, "
            "row_number() OVER (w ORDER BY line, ord) AS k "
            f"FROM {CODES} WHERE ok AND code IN ("
            f"SELECT code FROM {CODES} WHERE ok GROUP BY code HAVING count(*) > 1) "
            "WINDOW w AS (PARTITION BY code)) x WHERE k > 1",
            [traced],
        ),
        (
            "SELECT line, %s, 12, ord, 'code_known', code, NULL FROM ("
            "SELECT DISTINCT ON (k.code) k.line, k.ord, k.code "
            f"FROM {CODES} k JOIN {KNOWN} t ON t.code = k.code "
            "WHERE NOT t.may_arrive ORDER BY k.code, k.line, k.ord) known",
            [traced],
        ),
    ]


def _params(kind: str, text: str | None, number: int | None) -> dict[str, Any] | None:
    if kind == "hy_b01":
        assert text is not None
        return {"category": imports.category_label(text)}
    if kind == "closed_period":
        return {"until": text}
    if kind == "batch_date_known":
        return {"date": text}
    if kind == "batch_date_file":
        return {"row": number, "date": text}
    if kind == "too_long":
        return {"max": number}
    if kind == "code_duplicate":
        return {"code": text, "row": number}
    if kind in ("code_format", "code_known"):
        return {"code": text}
    return None


@contextmanager
def purchase_stage() -> Iterator[PurchaseStage]:
    """Staging tables for one import on this connection, dropped afterwards."""
    with connection.cursor() as cursor:
        stage = PurchaseStage(cursor)
        stage.create()
        try:
            yield stage
        finally:
            # If the transaction failed, its temporary tables went with it.
            with contextlib.suppress(DatabaseError):
                stage.reset()


def stage_and_validate(
    stage: PurchaseStage,
    data: bytes,
    file_format: str,
    *,
    approval_only: bool,
    window: imports.DateWindow | None = None,
    pharmacy_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> imports.ValidationResult:
    """Read the file, stage it and check every row (GY-A06, HY-B01, HY-B03, HY-E06); the
    errors come sorted by row and column, at most ERROR_LIMIT of them."""
    text = None
    if file_format == "csv":
        # Decoded once: imports.read_rows() would decode it the same way (UTF-8, BOM or not).
        with contextlib.suppress(UnicodeDecodeError):
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    if text is None:
        header, rows = imports.read_rows(data, file_format)
    else:
        header, rows = imports.csv_rows(text)
    missing = imports.missing_columns(header)
    if missing:
        result = imports.ValidationResult()
        result.error(1, "、".join(missing), "missing_columns", {"columns": "、".join(missing)})
        return result
    if file_format != "csv" or not stage.load_csv(
        data, header, progress, span=(1, 50), utf8=text is not None
    ):
        cells_of = imports.cells_reader(file_format, imports.positions_of(header))
        stage.load(list(rows), cells_of, progress, span=(1, 50))
    if progress:
        progress(50)
    result = stage.validate(approval_only, window, pharmacy_id)
    if progress:
        progress(70)
    return result
