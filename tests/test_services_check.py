"""`make test` says clearly when PostgreSQL or Redis is down, and how to start it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_services.py"


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_unreachable_postgresql_is_reported_with_how_to_start_it() -> None:
    result = _run(DATABASE_URL="postgres://postgres@127.0.0.1:1/dingdian", REDIS_URL="")
    assert result.returncode == 1
    assert "PostgreSQL is not reachable" in result.stderr
    assert "pg_ctlcluster" in result.stderr


def test_unreachable_redis_is_reported_with_how_to_start_it() -> None:
    result = _run(REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "Redis is not reachable" in result.stderr and "redis-server" in result.stderr


def test_reachable_services_pass() -> None:
    assert _run().returncode == 0
