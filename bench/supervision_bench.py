"""The fund-supervision scan (issue 17.7) on a generated county: 500 pharmacies, 50,000
patients, a year of history of sales (a prescription, a dispensing, its line and its sale
movement each) — 1,000,000 movements and dispensings — with rule hits seeded in it: resold
traceability codes (SV-F01), refused attempts (SV-F02/05/06/13), imbalanced and overdue
stocktakes (SV-F03, HY-E06), bursts of patients (SV-F04) and sales recorded off the staff
list (SV-F14). The history is written by bulk SQL (INSERT … SELECT generate_series), its time
printed apart.

Prints the full scan of every rule (watermarks reset, no findings yet) and then, after one
day of new sales, the incremental scan; each beside the SQL floor: one aggregate over the
same rows (the rows the scan reads, grouped as the rules group them).

Runs in its own PostgreSQL database (created and dropped here), never in the developer's data.
BENCH_PHARMACIES / BENCH_PATIENTS / BENCH_SV_SALES shrink the county.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from bench._db import bench_database

BENCH_DB = "dingdian_bench_supervision"
PHARMACIES = int(os.environ.get("BENCH_PHARMACIES", 500))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 50_000))
SALES = int(os.environ.get("BENCH_SV_SALES", 500_000))  # a year; a movement each: 1 M rows
DAYS = 365
REPEAT = int(os.environ.get("BENCH_SV_REPEAT", 3))


def _sql(statement: str, params: dict[str, Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def _scalar(statement: str, params: dict[str, Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.fetchone()[0]


def _reference(today: date) -> dict[str, Any]:
    """The small rows through the ORM (the dispensing benchmark's county: programme, drug,
    hospital, physician, pharmacies with their batch and pharmacist); ids for the SQL."""
    from bench import _dispensing_county as county_module

    county_module.PHARMACIES = PHARMACIES
    county = county_module._reference(today)
    county_module._pharmacies(county)
    return {
        "hy": county.hy.pk,
        "disease": county.disease.pk,
        "drug": county.drug.pk,
        "hospital": county.hospital.pk,
        "physician": county.physician.pk,
        "region": county.region.pk,
    }


_MAPS = """
CREATE TEMP TABLE ph AS
SELECT (row_number() OVER (ORDER BY p.id)) - 1 AS n, p.id AS pharmacy_id,
       s.user_id AS pharmacist_id, b.id AS batch_id
FROM pharmacies_pharmacy p
JOIN pharmacies_staffmember s ON s.pharmacy_id = p.id
JOIN inventory_stockbatch b ON b.pharmacy_id = p.id;
CREATE UNIQUE INDEX ON ph (n);
CREATE TEMP TABLE pt AS
SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id AS patient_id FROM patients_patient;
CREATE UNIQUE INDEX ON pt (n);
"""

# One sale per row of `sales`: i, its pharmacy, patient, time and whether its recorder was
# off the staff list; ids of the prescription, dispensing and movement are fixed offsets.
_SALES = """
CREATE TEMP TABLE sales AS
SELECT g.i, ph.pharmacy_id, ph.pharmacist_id, ph.batch_id, pt.patient_id,
       %(start)s::timestamptz + ((g.i / %(ph)s) %% %(days)s) * interval '1 day'
         + interval '8 hours' + ((g.i * 7919) %% 600) * interval '1 minute' AS at,
       (g.i %% 2000 = 17) AS off_staff
FROM generate_series(%(first)s::bigint, %(last)s::bigint) g(i)
JOIN ph ON ph.n = g.i %% %(ph)s
JOIN pt ON pt.n = (g.i * 31) %% %(pt)s;
"""

_WRITE = """
INSERT INTO prescriptions_prescription (id, number, source, kind, institution_name,
  physician_name, seal_image, trace_code, issued_on, valid_days, fee, created_at, disease_id,
  institution_id, patient_id, physician_id, programme_id, recorded_by_id)
SELECT %(rx)s + i, 'SVP' || i, 'portal', 'normal', '衡阳县人民医院', '张医生', '', '',
  at::date, 30, 0, at, %(disease)s, %(hospital)s, patient_id, %(physician)s, %(hy)s,
  %(physician)s
FROM sales ORDER BY i;
INSERT INTO inventory_movement (id, kind, quantity, unit_price, occurred_at, supplier,
  invoice_no, delivery_note_no, reference, traceability_codes, created_at, created_by_id,
  drug_id, pharmacy_id, batch_id, counterparty, counterparty_kind, entered_by_hand, reason)
SELECT %(mv)s + i, 'sale', -30, 6.46, at, '', '', '', 'SVD' || i, '[]', at, pharmacist_id,
  %(drug)s, pharmacy_id, batch_id, '', '', false, ''
FROM sales ORDER BY at, i;
INSERT INTO prescriptions_dispensing (id, number, status, dispensed_at, total, fund_share,
  personal_share, is_proxy, proxy_name, proxy_resident_id,
  purchase_list_photo, patient_signed, disease_id, patient_id, pharmacist_id, pharmacy_id,
  programme_id, prescription_id, recorder_on_staff, video_camera)
SELECT %(dp)s + i, 'SVD' || i, 'settled', at, 193.80, 135.66, 58.14, false, '', '', '',
  true, %(disease)s, patient_id, pharmacist_id, pharmacy_id, %(hy)s, %(rx)s + i,
  NOT off_staff, ''
FROM sales ORDER BY at, i;
INSERT INTO prescriptions_prescriptionitem (prescription_id, drug_id, dosage_form, dose,
  quantity, days, dispensed_quantity)
SELECT %(rx)s + i, %(drug)s, '片剂', 'qd', 30, 30, 30 FROM sales ORDER BY i;
INSERT INTO prescriptions_dispensingline (quantity, unit_price, price_cap, amount,
  traceability_codes, batch_id, dispensing_id, drug_id, movement_id, item_id)
SELECT 30, 6.46, 6.80, 193.80, '[]', s.batch_id, %(dp)s + s.i, %(drug)s, %(mv)s + s.i, it.id
FROM sales s JOIN prescriptions_prescriptionitem it ON it.prescription_id = %(rx)s + s.i;
"""


def _resequence() -> None:
    """The id sequences past the ids the bulk inserts chose."""
    for table in ("prescriptions_prescription", "inventory_movement", "prescriptions_dispensing"):
        _sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 — fixed names
            f"(SELECT max(id) FROM {table}))"
        )


def _sales(ids: dict[str, Any], first: int, last: int, start: datetime, days: int) -> None:
    """Sales `first`..`last` from `start` over `days` days, each pharmacy's day the same."""
    _sql("DROP TABLE IF EXISTS sales")
    _sql(
        _SALES,
        {
            "start": start,
            "days": days,
            "first": first,
            "last": last,
            "ph": PHARMACIES,
            "pt": PATIENTS,
        },
    )
    offsets = {
        "rx": _scalar("SELECT coalesce(max(id), 0) FROM prescriptions_prescription") + 1 - first,
        "mv": _scalar("SELECT coalesce(max(id), 0) FROM inventory_movement") + 1 - first,
        "dp": _scalar("SELECT coalesce(max(id), 0) FROM prescriptions_dispensing") + 1 - first,
    }
    for statement in _WRITE.split(";\n"):
        if statement.strip():
            _sql(statement, {**ids, **offsets})
    _resequence()


def _bursts(ids: dict[str, Any], at: datetime, count: int, tag: str) -> None:
    """SV-F04: `count` bursts, each six patients settled at one pharmacy within 5 minutes."""
    _sql("DROP TABLE IF EXISTS sales")
    _sql(
        """
        CREATE TEMP TABLE sales AS
        SELECT b * 6 + k AS i, ph.pharmacy_id, ph.pharmacist_id, ph.batch_id, pt.patient_id,
               %(at)s::timestamptz + (b %% 300) * interval '1 day' + k * interval '1 minute'
                 + interval '3 minutes' AS at,
               false AS off_staff
        FROM generate_series(0, %(count)s - 1) b, generate_series(0, 5) k
        JOIN ph ON true JOIN pt ON true
        WHERE ph.n = (b * 37) %% %(ph)s AND pt.n = (b * 6 + k + 11) %% %(pt)s
        """,
        {"at": at, "count": count, "ph": PHARMACIES, "pt": PATIENTS},
    )
    offsets = {
        "rx": _scalar("SELECT max(id) FROM prescriptions_prescription") + 1,
        "mv": _scalar("SELECT max(id) FROM inventory_movement") + 1,
        "dp": _scalar("SELECT max(id) FROM prescriptions_dispensing") + 1,
    }
    statements = _WRITE.replace("'SVP' || i", f"'SVP{tag}' || i").replace(
        "'SVD' || i", f"'SVD{tag}' || i"
    )
    for statement in statements.split(";\n"):
        if statement.strip():
            _sql(statement, {**ids, **offsets})
    _resequence()


def _refusals(ids: dict[str, Any], start: datetime, days: int, count: int, tag: str) -> None:
    """Refused attempts spread over pharmacies and days (a few pharmacy-months reach the
    threshold of two), and SV-F01: codes sold once, presented again at another pharmacy."""
    _sql(
        """
        INSERT INTO prescriptions_counterrefusal (rule_id, traceability_code, refused_at,
          details, actor_id, patient_id, pharmacy_id, programme_id)
        SELECT (ARRAY['HY-G10','HY-G08','HY-G07','HY-B02','GY-C01'])[1 + g %% 5], '',
          %(start)s::timestamptz + ((g * 13) %% %(days)s) * interval '1 day'
            + interval '10 hours' + (g %% 300) * interval '1 minute',
          '{}', ph.pharmacist_id, pt.patient_id, ph.pharmacy_id, %(hy)s
        FROM generate_series(0::bigint, %(count)s - 1) g
        JOIN ph ON ph.n = ((g * 7) %% (%(ph)s / 10)) * 10
        JOIN pt ON pt.n = (g * 101) %% %(pt)s
        """,
        {**ids, "start": start, "days": days, "count": count, "ph": PHARMACIES, "pt": PATIENTS},
    )
    codes = max(count // 20, 1)
    _sql(
        """
        INSERT INTO inventory_traceabilitycode (code, batch_id, pharmacy_id, sold_in_id)
        SELECT %(tag)s || lpad(g::text, 12, '0'), m.batch_id, m.pharmacy_id, m.id
        FROM generate_series(0, %(codes)s - 1) g
        JOIN inventory_movement m ON m.id = (
          SELECT min(id) FROM inventory_movement WHERE kind = 'sale') + g * 97;
        INSERT INTO prescriptions_counterrefusal (rule_id, traceability_code, refused_at,
          details, actor_id, pharmacy_id, programme_id)
        SELECT 'GY-E02', c.code, %(start)s::timestamptz + (g %% %(days)s) * interval '1 day'
            + interval '15 hours', '{}', ph.pharmacist_id, ph.pharmacy_id, %(hy)s
        FROM generate_series(0, %(codes)s - 1) g
        JOIN inventory_traceabilitycode c ON c.code = %(tag)s || lpad(g::text, 12, '0')
        JOIN ph ON ph.n = (g * 3 + 1) %% %(ph)s
        """,
        {**ids, "tag": f"SV{tag}", "codes": codes, "start": start, "days": days, "ph": PHARMACIES},
    )


def _stocktakes(ids: dict[str, Any], year_start: date) -> None:
    """Four quarterly stocktakes per pharmacy; every seventh imbalanced (a line that does
    not match), every tenth escalated as overdue."""
    _sql(
        """
        INSERT INTO inventory_stocktake (period_start, period_end, due_on, blind, status,
          counted_at, sheet, is_imbalanced, submitted_at, escalated_at, created_at,
          pharmacy_id, programme_id)
        SELECT d, d + 89, d + 104, false, 'accepted', d + 95, '', (ph.n + q) %% 7 = 0,
          (d + 96)::timestamptz,
          CASE WHEN (ph.n + q) %% 10 = 3 THEN (d + 105)::timestamptz END,
          d::timestamptz, ph.pharmacy_id, %(hy)s
        FROM ph, generate_series(0, 3) q,
          LATERAL (SELECT (%(start)s::date + q * 91) AS d) x;
        INSERT INTO inventory_stocktakeline (opening, purchases, purchase_returns, sales,
          sale_returns, transfers_in, transfers_out, losses, adjustments, expected, counted,
          difference, reason, batch_id, stocktake_id)
        SELECT 1000, 0, 0, -600, 0, 0, 0, 0, 0, 400,
          CASE WHEN s.is_imbalanced THEN 380 ELSE 400 END,
          CASE WHEN s.is_imbalanced THEN -20 ELSE 0 END, '', ph.batch_id, s.id
        FROM inventory_stocktake s JOIN ph ON ph.pharmacy_id = s.pharmacy_id
        """,
        {**ids, "start": year_start},
    )


def generate(today: date) -> dict[str, Any]:
    ids = _reference(today)
    _sql(
        """
        INSERT INTO patients_patient (resident_id, name, social_security_card_no, insured_type,
          township, phone, address, created_at, region_id, resident_id_index)
        SELECT 'bench' || g, '患者' || g, '', 'employee', '', '', '', now(), %(region)s,
          md5('bench' || g)
        FROM generate_series(0, %(n)s - 1) g
        """,
        {"region": ids["region"], "n": PATIENTS},
    )
    for statement in _MAPS.split(";\n"):
        if statement.strip():
            _sql(statement)
    midnight = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    year_start = midnight - timedelta(days=DAYS)
    _sales(ids, 0, SALES - 1, year_start, DAYS)
    _bursts(ids, year_start, 50, "B")
    _refusals(ids, year_start, DAYS, 2_000, "Y")
    _stocktakes(ids, year_start.date())
    _sql("ANALYZE")
    return {**ids, "today": midnight}


def new_day(ids: dict[str, Any]) -> None:
    """One day of new sales (a year's sales / 365), two bursts, a day's refusals."""
    per_day = SALES // DAYS
    _sales(ids, SALES, SALES + per_day - 1, ids["today"], 1)
    _bursts(ids, ids["today"] + timedelta(hours=12), 2, "N")
    _refusals(ids, ids["today"] + timedelta(hours=1), 1, 40, "N")


_FLOOR = """
SELECT
 (SELECT count(*) FROM (
   SELECT d.pharmacy_id, count(*), count(DISTINCT d.patient_id), min(d.dispensed_at),
          count(*) FILTER (WHERE d.recorder_on_staff = false)
   FROM prescriptions_dispensing d
   JOIN pharmacies_pharmacy p ON p.id = d.pharmacy_id
   JOIN accounts_organisation o ON o.id = p.organisation_id
   WHERE d.id > %(dispensing)s GROUP BY d.pharmacy_id, date_trunc('hour', d.dispensed_at)) a)
 + (SELECT count(*) FROM (
   SELECT pharmacy_id, rule_id, date_trunc('month', refused_at), count(*)
   FROM prescriptions_counterrefusal WHERE id > %(refusal)s
   GROUP BY 1, 2, 3) r)
 + (SELECT count(*) FROM inventory_stocktake s JOIN inventory_stocktakeline l
      ON l.stocktake_id = s.id
    WHERE (s.is_imbalanced AND s.submitted_at > %(stocktake)s) OR s.escalated_at > %(stocktake)s)
"""


def floor(marks: dict[str, Any]) -> float:
    """One aggregate over the rows the scan reads (dispensings grouped by pharmacy and hour,
    refusals by pharmacy, rule and month, stocktakes with their lines)."""
    began = time.perf_counter()
    _scalar(_FLOOR, marks)
    return time.perf_counter() - began


def _marks() -> dict[str, Any]:
    return {
        "dispensing": _scalar("SELECT coalesce(max(id), 0) FROM prescriptions_dispensing"),
        "refusal": _scalar("SELECT coalesce(max(id), 0) FROM prescriptions_counterrefusal"),
        "stocktake": _scalar(
            "SELECT coalesce(greatest(max(submitted_at), max(escalated_at)), '-infinity') "
            "FROM inventory_stocktake"
        ),
    }


class _Undo(Exception):
    pass


def _scan_undone() -> tuple[float, dict[str, float], dict[str, int]]:
    """A full scan inside a transaction rolled back afterwards: findings and their events are
    append-only, so a repeated full scan starts again from the same (empty) state."""
    result: list[tuple[float, dict[str, float], dict[str, int]]] = []
    try:
        with transaction.atomic():
            result.append(_scan())
            raise _Undo
    except _Undo:
        pass
    return result[0]


def _rule_ids() -> list[str]:
    from supervision.rules import RULES

    return sorted(RULES)


def _scan() -> tuple[float, dict[str, float], dict[str, int]]:
    from supervision.engine import rule_scan

    per_rule, hits = {}, {}
    began = time.perf_counter()
    for rule_id in _rule_ids():
        t = time.perf_counter()
        hits[rule_id] = rule_scan(rule_id)
        per_rule[rule_id] = time.perf_counter() - t
    return time.perf_counter() - began, per_rule, hits


def _print_rules(per_rule: dict[str, float], hits: dict[str, int]) -> None:
    print(
        "  per rule: "
        + ", ".join(f"{r} {per_rule[r]:.2f} s ({hits[r]} new)" for r in sorted(per_rule))
    )


def run() -> None:
    from supervision.engine import rule_rows

    today = timezone.localdate()
    with bench_database(BENCH_DB):
        started = time.perf_counter()
        ids = generate(today)
        rows = {
            t: _scalar(f"SELECT count(*) FROM {t}")  # noqa: S608 — fixed table names
            for t in (
                "prescriptions_dispensing",
                "inventory_movement",
                "prescriptions_counterrefusal",
                "inventory_stocktake",
            )
        }
        print(
            f"generated county: {PHARMACIES} pharmacies, {PATIENTS} patients, "
            f"{rows['prescriptions_dispensing']} dispensings + {rows['inventory_movement']} "
            f"movements over {DAYS} days, {rows['prescriptions_counterrefusal']} refusals, "
            f"{rows['inventory_stocktake']} stocktakes in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        rule_rows()
        reverse("supervision:rules")  # the URLconf loaded once, as in a running worker
        zero = {"dispensing": 0, "refusal": 0, "stocktake": datetime(1970, 1, 1, tzinfo=UTC)}
        full_times: list[float] = []
        for _run in range(REPEAT - 1):
            full_times.append(_scan_undone()[0])
        spent, per_rule, hits = _scan()  # the last run commits: the incremental scan follows it
        full_times.append(spent)
        floors = [floor(zero) for _i in range(REPEAT)]
        print(
            f"full scan, {len(per_rule)} rules from empty watermarks: median "
            f"{statistics.median(full_times):.1f} s (min {min(full_times):.1f}, max "
            f"{max(full_times):.1f}; {REPEAT} runs, all but the last rolled back), "
            f"{sum(hits.values())} findings; "
            f"SQL floor (one aggregate over the same rows) {statistics.median(floors):.2f} s "
            f"({statistics.median(full_times) / statistics.median(floors):.0f}×); target ≤ 60 s"
        )
        _print_rules(per_rule, hits)
        marks = _marks()
        new_day(ids)
        _sql("ANALYZE")
        spent, per_rule, hits = _scan()
        floors = [floor(marks) for _i in range(REPEAT)]
        print(
            f"incremental scan after one day of new sales ({SALES // DAYS + 12} dispensings, "
            f"42 refusals): {spent:.2f} s, {sum(hits.values())} new findings; SQL floor "
            f"{statistics.median(floors) * 1000:.0f} ms; target ≤ 5 s"
        )
        _print_rules(per_rule, hits)
