"""Dispensing through the POS API: 8 concurrent clients against gunicorn and PostgreSQL on
loopback, on a generated county (500 pharmacies, 50,000 enrolled patients, a year of
history). Prints dispensings/s, p50/p95 latency and SQL queries per dispensing, and beside
them the floor: the same sales' own SQL statements run by the same 8 clients over psycopg.

Runs in its own PostgreSQL database (created and dropped here), never in the developer's data.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench._db import bench_database

BENCH_DB = "dingdian_bench_dispensing"
PHARMACIES = int(os.environ.get("BENCH_PHARMACIES", 500))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 50_000))
HISTORY_QUARTERS = 4  # a year of history: one dispensing per patient per past quarter
CLIENTS = 8
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 1_600))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", 200))
# Dispensings served in this process through the portal's WSGI application (its middleware,
# no network) to measure Django's own CPU per dispensing; BENCH_PROFILE=1 prints
# where it goes.
IN_PROCESS = int(os.environ.get("BENCH_IN_PROCESS", 200))
# gunicorn as the portal is served (config/gunicorn.py: a threaded worker per core, keep-alive);
# BENCH_WORKERS / BENCH_THREADS override its figures, BENCH_THREADS=0 for synchronous workers.
GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"
_served = runpy.run_path(str(GUNICORN_CONFIG))
WORKERS = int(os.environ.get("BENCH_WORKERS", _served["workers"]))
THREADS = int(os.environ.get("BENCH_THREADS", _served["threads"]))


def _resident_id(n: int) -> str:
    from stdnum.cn import ric

    born = date(1940, 1, 1) + timedelta(days=n // 1000)
    base = f"430421{born:%Y%m%d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def generate(today: date) -> dict[str, Any]:
    """The county: pharmacies (designated, stocked), patients enrolled for hypertension who
    each chose one pharmacy, and a year of dispensing history (bulk rows)."""
    from stdnum.cn import uscc

    from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
    from accounts.services import api_key_create
    from accreditation.models import Designation
    from inventory.models import DiseaseDrug, Drug, PriceCap, StockBatch
    from patients.models import Enrolment, Filing, InstitutionChoice, Patient
    from pharmacies.models import Pharmacy
    from prescriptions.models import Dispensing, Prescription, PrescriptionItem
    from programmes.models import Disease, Programme

    region = Region.objects.get(code="430421")
    hy = Programme.objects.get(code="HY-TM")
    disease = Disease.objects.get(programme=hy, code="TM101")
    hospital = Organisation.objects.create(
        kind=OrganisationKind.HOSPITAL, name="衡阳县人民医院", region=region, hospital_level="2"
    )
    clerk = User.objects.create_user(username="bench_clerk", password="x")
    physician = User.objects.create_user(username="bench_physician", password="x")
    Membership.objects.create(user=clerk, organisation=hospital, role=Role.WINDOW_CLERK)
    Membership.objects.create(user=physician, organisation=hospital, role=Role.PHYSICIAN)
    drug = Drug.objects.create(
        insurance_code="XC09AAA010A001",
        generic_name="卡托普利片",
        dosage_form="片剂",
        approval_number="国药准字H32023750",
    )
    DiseaseDrug.objects.create(disease=disease, drug=drug, is_basic_drug=True)
    PriceCap.objects.create(
        drug=drug,
        programme=Programme.objects.get(code="HY-TM"),
        basis="hospital_listed",
        price=Decimal("6.80"),
        source="bench",
        effective_on=date(2020, 1, 1),
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(kind=OrganisationKind.PHARMACY, name=f"基准药店{i:04d}", region=region)
        for i in range(PHARMACIES)
    )
    pharmacies = Pharmacy.objects.bulk_create(
        Pharmacy(
            organisation=o,
            credit_code=(b := f"9143042100{i:07d}") + uscc.calc_check_digit(b),
        )
        for i, o in enumerate(orgs)
    )
    Designation.objects.bulk_create(
        Designation(
            pharmacy=p,
            programme=hy,
            starts_on=today - timedelta(days=400),
            ends_on=today + timedelta(days=365),
        )
        for p in pharmacies
    )
    StockBatch.objects.bulk_create(
        StockBatch(
            pharmacy=p,
            drug=drug,
            batch_no="B1",
            expiry_date=today + timedelta(days=700),
            quantity=100_000,
        )
        for p in pharmacies
    )
    pharmacists = []
    for i in range(len(orgs)):
        u = User(username=f"bench_ph{i:04d}")
        u.set_unusable_password()
        pharmacists.append(u)
    User.objects.bulk_create(pharmacists)
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role=Role.PHARMACIST)
        for u, o in zip(pharmacists, orgs, strict=True)
    )
    patients = Patient.objects.bulk_create(
        (
            Patient(
                resident_id=_resident_id(n), name=f"患者{n}", insured_type="employee", region=region
            )
            for n in range(PATIENTS)
        ),
        batch_size=5000,
    )
    filings = Filing.objects.bulk_create(
        (
            Filing(
                number=f"BF{n:08d}",
                patient=p,
                disease=disease,
                path="round",
                window=hospital,
                records_hospital="衡阳县人民医院",
                records_hospital_level="2",
                materials_received=[],
                status="approved",
                lodged_by=clerk,
                lodged_on=date(2025, 4, 1),
            )
            for n, p in enumerate(patients)
        ),
        batch_size=5000,
    )
    enrolments = Enrolment.objects.bulk_create(
        (
            Enrolment(patient=f.patient, disease=disease, filing=f, starts_on=date(2025, 5, 1))
            for f in filings
        ),
        batch_size=5000,
    )
    InstitutionChoice.objects.bulk_create(
        (
            InstitutionChoice(
                enrolment=e, organisation=orgs[n % PHARMACIES], chosen_on=date(2025, 5, 1)
            )
            for n, e in enumerate(enrolments)
        ),
        batch_size=5000,
    )
    # A year of history: one settled prescription per patient per past quarter.
    past = timezone.now() - timedelta(days=10)
    for q in range(1, HISTORY_QUARTERS + 1):
        when = past - timedelta(days=91 * q)
        prescriptions = Prescription.objects.bulk_create(
            (
                Prescription(
                    number=f"BH{q}{n:08d}",
                    programme=hy,
                    patient=p,
                    disease=disease,
                    source="portal",
                    institution=hospital,
                    institution_name="衡阳县人民医院",
                    physician=physician,
                    physician_name="张医生",
                    issued_on=when.date(),
                    valid_days=30,
                    recorded_by=physician,
                )
                for n, p in enumerate(patients)
            ),
            batch_size=5000,
        )
        PrescriptionItem.objects.bulk_create(
            (
                PrescriptionItem(
                    prescription=pr,
                    drug=drug,
                    dosage_form="片剂",
                    dose="qd",
                    quantity=30,
                    days=30,
                    dispensed_quantity=30,
                )
                for pr in prescriptions
            ),
            batch_size=5000,
        )
        Dispensing.objects.bulk_create(
            (
                Dispensing(
                    number=f"BD{q}{n:08d}",
                    pharmacy=pharmacies[n % PHARMACIES],
                    programme=hy,
                    patient=pr.patient,
                    disease=disease,
                    enrolment=enrolments[n],
                    prescription=pr,
                    pharmacist=pharmacists[n % PHARMACIES],
                    dispensed_at=when,
                    total=Decimal("193.80"),
                    fund_share=Decimal("135.66"),
                    personal_share=Decimal("58.14"),
                )
                for n, pr in enumerate(prescriptions)
            ),
            batch_size=5000,
        )
    # Earlier purchases this quarter opened each patient's quota account (steady state).
    from prescriptions.models import QuotaAccount
    from prescriptions.selectors import quota_period_bounds

    start, end = quota_period_bounds(programme=hy, on=today)
    QuotaAccount.objects.bulk_create(
        (
            QuotaAccount(enrolment=e, period_start=start, period_end=end, quota=Decimal("300.00"))
            for e in enrolments
        ),
        batch_size=5000,
    )
    # Today's prescriptions for the patients the clients will serve (distinct patients).
    served = random.Random(5).sample(  # noqa: S311 — reproducible sample, not a secret
        range(PATIENTS), REQUESTS + WARM_UP + 1 + IN_PROCESS
    )
    jobs = []
    keys: dict[int, str] = {}
    for n in served:
        p = patients[n]
        pharmacy_index = n % PHARMACIES
        pr = Prescription.objects.create(
            number=f"BT{n:08d}",
            programme=hy,
            patient=p,
            disease=disease,
            source="portal",
            institution=hospital,
            institution_name="衡阳县人民医院",
            physician=physician,
            physician_name="张医生",
            issued_on=today,
            valid_days=30,
            recorded_by=physician,
        )
        item = PrescriptionItem.objects.create(
            prescription=pr, drug=drug, dosage_form="片剂", dose="qd", quantity=30, days=30
        )
        if pharmacy_index not in keys:
            keys[pharmacy_index] = api_key_create(
                organisation=orgs[pharmacy_index], name="POS", actor=pharmacists[pharmacy_index]
            )[1]
        jobs.append((keys[pharmacy_index], pharmacists[pharmacy_index].username, pr.pk, item.pk, n))
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"jobs": jobs}


def _body(job: tuple[str, str, int, int, int], qty: int = 2) -> dict[str, Any]:
    _key, pharmacist, prescription, item, n = job
    return {
        "prescription": prescription,
        "lines": [
            {
                "item": item,
                "quantity": qty,
                "unit_price": "6.46",
                "traceability_codes": [f"{n:010d}{i:010d}" for i in range(qty)],
            }
        ],
        "identity_confirmed": True,
        "patient_signed": True,
        "pharmacist": pharmacist,
        "idempotency_key": f"bench-{n}",
    }


def queries_per_dispensing(job: tuple[str, str, int, int, int]) -> int:
    from django.db import connection
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {job[0]}")
    # The debug query log is a bounded deque: once full, a capture sees nothing. Start empty.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/pos/dispensings/", _body(job), format="json")
    assert response.status_code == 201, response.content[:300]
    if os.environ.get("BENCH_SHOW_SQL"):
        for q in ctx.captured_queries:
            print(q["sql"][:160])
    control = sum(
        q["sql"].split(" ", 1)[0] in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}
        for q in ctx.captured_queries
    )
    print(f"  of which transaction control (BEGIN/COMMIT/SAVEPOINT/RELEASE): {control}")
    return len(ctx.captured_queries)


def cpu_per_dispensing(jobs: list[tuple[str, str, int, int, int]]) -> float:
    """CPU time of this process per dispensing served by the portal's WSGI application
    (middleware, DRF, checks, booking, psycopg; PostgreSQL's own CPU is not counted), in ms."""
    import cProfile
    import io
    import pstats

    from django.test import override_settings

    from core.handlers import PortalHandler

    application = PortalHandler()  # what config.wsgi serves

    def call(job: tuple[str, str, int, int, int]) -> None:
        payload = json.dumps(_body(job)).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/pos/dispensings/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Api-Key {job[0]}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status: list[str] = []

        def start_response(s: str, _headers: Any, *_exc: Any) -> Any:
            status.append(s)

        body = b"".join(application(environ, start_response))
        assert status[0].startswith("201"), body[:300]

    warm, measured = jobs[:10], jobs[10:]
    profile = cProfile.Profile(time.process_time) if os.environ.get("BENCH_PROFILE") else None
    with override_settings(DEBUG=False):
        for job in warm:
            call(job)
        began = time.process_time()
        if profile is not None:
            profile.enable()
        for job in measured:
            call(job)
        if profile is not None:
            profile.disable()
        spent = time.process_time() - began
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
        if os.environ.get("BENCH_PROFILE_OUT"):
            profile.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        lines = int(os.environ["BENCH_PROFILE"])
        stats.print_stats(lines if lines > 1 else 60)
        print(out.getvalue())
    return spent * 1000 / len(measured)


def load(jobs: list[tuple[str, str, int, int, int]]) -> tuple[float, list[float], int]:
    queue = list(jobs)
    lock = threading.Lock()
    latencies: list[float] = []
    failures = 0

    def client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                job = queue.pop()
            payload = json.dumps(_body(job))
            began = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/pos/dispensings/",
                body=payload,
                headers={"Authorization": f"Api-Key {job[0]}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if response.status != 201:
                    failures += 1
        conn.close()

    threads = [threading.Thread(target=client) for _i in range(CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies, failures


def capture_sale(job: tuple[str, str, int, int, int]) -> list[tuple[str, Any, bool]]:
    """The statements of one sale as the portal runs them — (SQL, parameters, prepared) —
    taken in process and rolled back (nothing is booked). The job is sold twice, the first
    sale undone, and the second sale's statements kept: its API key is then cached, as it is
    for all but a key's first call."""
    from django.db import connection, transaction
    from psycopg import ClientCursor
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {job[0]}")
    statements: list[tuple[str, Any, bool]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        assert not many, "a sale runs no executemany"
        # Savepoints only exist here because the sale runs inside the rolled-back block.
        if sql.split(" ", 1)[0] not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
            prepared = not isinstance(context["cursor"].cursor, ClientCursor)
            statements.append((sql, params, prepared))
        return execute(sql, params, many, context)

    with transaction.atomic():
        for _attempt in range(2):
            undo = transaction.savepoint()
            statements.clear()
            with connection.execute_wrapper(keep):
                response = client.post("/api/v1/pos/dispensings/", _body(job), format="json")
            assert response.status_code == 201, response.content[:300]
            transaction.savepoint_rollback(undo)
        transaction.set_rollback(True)
    return statements


def floor(
    db_name: str, sales: list[list[tuple[str, Any, bool]]], count: int
) -> tuple[float, list[float]]:
    """The floor of the load: `count` sales by CLIENTS clients, each client repeating one
    pharmacy's sale as its own statements in plain SQL over psycopg (no Django, no HTTP), the
    statements the portal prepares prepared here too, each sale in one transaction that is
    rolled back (so it can be repeated; a rollback skips the commit's WAL flush)."""
    import psycopg

    lock = threading.Lock()
    left = [count]
    latencies: list[float] = []

    def client(statements: list[tuple[str, Any, bool]]) -> None:
        with psycopg.connect(_database_url(db_name), prepare_threshold=None) as conn:
            conn.execute("SET TIME ZONE 'UTC'")  # as Django sets it (USE_TZ)
            conn.commit()
            server, plain = conn.cursor(), psycopg.ClientCursor(conn)
            while True:
                with lock:
                    if not left[0]:
                        break
                    left[0] -= 1
                began = time.perf_counter()
                for sql, params, prepared in statements:
                    if prepared:
                        server.execute(sql, params, prepare=True)
                        cursor: Any = server
                    else:
                        plain.execute(sql, params)
                        cursor = plain
                    if cursor.description is not None:
                        cursor.fetchall()
                conn.rollback()
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)

    threads = [
        threading.Thread(target=client, args=(sales[n % len(sales)],)) for n in range(CLIENTS)
    ]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies


def _cpu_ticks(server_pid: int, db_name: str) -> dict[str, dict[int, int]]:
    """CPU ticks (user + system) of the processes serving the load: gunicorn and its
    workers, PostgreSQL (the backends of the bench database and the server's own background
    processes, not other databases' backends) and Redis."""
    groups: dict[str, dict[int, int]] = {"gunicorn": {}, "postgres": {}, "redis": {}}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])
        if int(entry) == server_pid or fields[1] == str(server_pid):
            groups["gunicorn"][int(entry)] = ticks
        elif comm.startswith("postgres"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
            except OSError:
                continue
            if db_name in title or ("127.0.0.1(" not in title and "[local]" not in title):
                groups["postgres"][int(entry)] = ticks
        elif comm.startswith("redis"):
            groups["redis"][int(entry)] = ticks
    return groups


def _cpu_split(
    before: dict[str, dict[int, int]], after: dict[str, dict[int, int]], own: float, n: int
) -> str:
    """Milliseconds of CPU per dispensing, by process group."""
    hz = os.sysconf("SC_CLK_TCK")
    parts = [
        (group, sum(t - before[group].get(pid, 0) for pid, t in pids.items()) * 1000 / hz / n)
        for group, pids in after.items()
    ]
    parts.append(("load generator", own * 1000 / n))
    total = sum(ms for _g, ms in parts)
    return ", ".join(f"{g} {ms:.1f}" for g, ms in parts) + f"; total {total:.1f}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = _free_port()


def run() -> None:
    today = timezone.localdate()
    with bench_database(BENCH_DB) as db_name:
        started = time.perf_counter()
        data = generate(today)
        print(
            f"generated county: {PHARMACIES} pharmacies, {PATIENTS} enrolled patients, "
            f"{HISTORY_QUARTERS * PATIENTS} past dispensings "
            f"in {time.perf_counter() - started:.0f} s"
        )
        jobs = data["jobs"]
        print(f"SQL queries per dispensing (API, in process): {queries_per_dispensing(jobs[0])}")
        if IN_PROCESS:
            cpu = cpu_per_dispensing(jobs[-IN_PROCESS:])
            print(f"Django CPU per dispensing (in process, the portal's WSGI app): {cpu:.1f} ms")
            jobs = jobs[:-IN_PROCESS]
        if len(jobs) < 2:
            return  # BENCH_REQUESTS=0: the in-process figures only
        # The floor's sales: one per client, each of another pharmacy (so they lock different
        # batches and quotas), taken out of the load and captured now (rolled back).
        floor_jobs: list[tuple[str, str, int, int, int]] = []
        for job in reversed(jobs[1 + WARM_UP :]):
            if len(floor_jobs) < CLIENTS and job[0] not in {j[0] for j in floor_jobs}:
                floor_jobs.append(job)
        jobs = [j for j in jobs if j not in floor_jobs]
        sales = [capture_sale(job) for job in floor_jobs]
        connections.close_all()
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": _database_url(db_name),
            # The keys the county was generated (encrypted, indexed) with, in this process.
            "DINGDIAN_FIELD_KEYS": ",".join(settings.DINGDIAN_FIELD_KEYS),
            "DINGDIAN_BLIND_INDEX_KEY": settings.DINGDIAN_BLIND_INDEX_KEY,
        }
        server = subprocess.Popen(  # noqa: S603 — our own interpreter and gunicorn
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-c",
                str(GUNICORN_CONFIG),
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(WORKERS),
                *(["--threads", str(THREADS)] if THREADS else ["--worker-class", "sync"]),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=GUNICORN_CONFIG.parent.parent,
            start_new_session=True,  # its own process group: stopped by id with its workers
        )
        try:
            _wait_for_server(jobs[0][0])
            # Warm-up, not measured: every worker has imported its code, opened its database
            # connection and prepared its statements, as a server does after its first minute.
            _elapsed, _latencies, failures = load(jobs[1 : 1 + WARM_UP])
            assert not failures, "warm-up dispensings failed"
            cpu_before, own_before = _cpu_ticks(server.pid, db_name), time.process_time()
            elapsed, latencies, failures = load(jobs[1 + WARM_UP :])
            cpu_after, own_after = _cpu_ticks(server.pid, db_name), time.process_time()
        finally:
            _stop(server)
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"POS dispensing, {CLIENTS} clients, gunicorn {WORKERS} "
            f"{f'gthread workers × {THREADS} threads' if THREADS else 'sync workers'}: "
            f"{len(latencies)} requests, "
            f"{len(latencies) / elapsed:.0f} dispensings/s, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, failures {failures}"
        )
        split = _cpu_split(cpu_before, cpu_after, own_after - own_before, len(latencies))
        print(f"  CPU ms per dispensing during the load: {split}")
        floor_elapsed, floor_latencies = floor(db_name, sales, len(latencies))
        floor_latencies.sort()
        floor_p95 = floor_latencies[int(len(floor_latencies) * 0.95) - 1]
        print(
            f"  floor: the sale's own {len(sales[0])} statements as plain SQL (psycopg, prepared "
            f"as the portal prepares them, each sale rolled back), {CLIENTS} clients: "
            f"{len(floor_latencies) / floor_elapsed:.0f} sales/s, "
            f"p50 {statistics.median(floor_latencies) * 1000:.1f} ms, "
            f"p95 {floor_p95 * 1000:.1f} ms"
        )
        rate, floor_rate = len(latencies) / elapsed, len(floor_latencies) / floor_elapsed
        # The figure to compare between runs and machines (README "Hot path").
        print(
            f"  ratio to the SQL floor: {rate / floor_rate:.0%} of its sales/s, "
            f"p95 {p95 / floor_p95:.1f}× its p95 (switches: {_switches()})"
        )


def _switches() -> str:
    """The hot path's switches as this run had them (README "Hot path")."""
    return (
        ", ".join(
            f"{name}={'on' if getattr(settings, name) else 'off'}"
            for name in ("DINGDIAN_PREPARED_QUERIES", "DINGDIAN_LEAN_API_MIDDLEWARE")
        )
        + f", cache {settings.CACHES['default']['BACKEND']}"
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn and its workers: its process group, by the id this module started."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    except ProcessLookupError:
        server.wait(10)  # already gone


def _database_url(name: str) -> str:
    base = settings.DATABASES["default"]
    user = base.get("USER") or "postgres"
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    host = base.get("HOST") or "127.0.0.1"
    port = base.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _wait_for_server(key: str) -> None:
    for _i in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/api/v1/whoami/", headers={"Authorization": f"Api-Key {key}"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")
