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
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench._db import bench_database
from bench._dispensing_county import (
    HISTORY_QUARTERS,
    IN_PROCESS,
    PATIENTS,
    PHARMACIES,
    WARM_UP,
    Job,
    generate,
)

BENCH_DB = "dingdian_bench_dispensing"
CLIENTS = 8
# BENCH_PROFILE=1 prints where the CPU of the in-process dispensings goes.
# gunicorn as the portal is served (config/gunicorn.py: a threaded worker per core, keep-alive);
# BENCH_WORKERS / BENCH_THREADS override its figures, BENCH_THREADS=0 for synchronous workers.
GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"
_served = runpy.run_path(str(GUNICORN_CONFIG))
WORKERS = int(os.environ.get("BENCH_WORKERS", _served["workers"]))
THREADS = int(os.environ.get("BENCH_THREADS", _served["threads"]))


def _body(job: Job, qty: int = 2) -> dict[str, Any]:
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


def queries_per_dispensing(job: Job) -> int:
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


def cpu_per_dispensing(jobs: list[Job]) -> float:
    """CPU time of this process per dispensing served by the portal's WSGI application
    (middleware, DRF, checks, booking, psycopg; PostgreSQL's own CPU is not counted), in ms."""
    import cProfile
    import io
    import pstats

    from django.test import override_settings

    from core.handlers import PortalHandler

    application = PortalHandler()  # what config.wsgi serves

    def call(job: Job) -> None:
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


def load(jobs: list[Job]) -> tuple[float, list[float], int]:
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


def capture_sale(job: Job) -> list[tuple[str, Any, bool]]:
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


def _floor_jobs(jobs: list[Job]) -> list[Job]:
    """The floor's sales: one per client, each of another pharmacy (so they lock different
    batches and quotas), taken from the end of the measured load."""
    floor_jobs: list[Job] = []
    for job in reversed(jobs[1 + WARM_UP :]):
        if len(floor_jobs) < CLIENTS and job[0] not in {j[0] for j in floor_jobs}:
            floor_jobs.append(job)
    return floor_jobs


def _serve(db_name: str) -> subprocess.Popen[bytes]:
    """gunicorn as the portal is served, on the bench database, in its own process group."""
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
    return subprocess.Popen(  # noqa: S603 — our own interpreter and gunicorn
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


def _measure_load(db_name: str, jobs: list[Job]) -> tuple[float, list[float]]:
    """Serve the load through gunicorn after a warm-up; print it with its CPU split."""
    server = _serve(db_name)
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
    return elapsed, latencies


def _compare_with_floor(
    db_name: str, sales: list[list[tuple[str, Any, bool]]], elapsed: float, latencies: list[float]
) -> None:
    """Run the floor for as many sales as the load served; print it and the ratio."""
    floor_elapsed, floor_latencies = floor(db_name, sales, len(latencies))
    floor_latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
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


def run() -> None:
    today = timezone.localdate()
    with bench_database(BENCH_DB) as db_name:
        started = time.perf_counter()
        jobs: list[Job] = generate(today)["jobs"]
        print(
            f"generated county: {PHARMACIES} pharmacies, {PATIENTS} enrolled patients, "
            f"{HISTORY_QUARTERS * PATIENTS} past dispensings "
            f"in {time.perf_counter() - started:.0f} s"
        )
        print(f"SQL queries per dispensing (API, in process): {queries_per_dispensing(jobs[0])}")
        if IN_PROCESS:
            cpu = cpu_per_dispensing(jobs[-IN_PROCESS:])
            print(f"Django CPU per dispensing (in process, the portal's WSGI app): {cpu:.1f} ms")
            jobs = jobs[:-IN_PROCESS]
        if len(jobs) < 2:
            return  # BENCH_REQUESTS=0: the in-process figures only
        floor_jobs = _floor_jobs(jobs)
        jobs = [j for j in jobs if j not in floor_jobs]
        sales = [capture_sale(job) for job in floor_jobs]  # captured now, rolled back
        connections.close_all()
        elapsed, latencies = _measure_load(db_name, jobs)
        _compare_with_floor(db_name, sales, elapsed, latencies)


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
