"""`make run` and `make test` set up a fresh machine (scripts/machine.py): what they decide, and
the embedded PostgreSQL they start and stop by PID."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import machine  # noqa: E402


def test_no_missing_package_means_nothing_to_do() -> None:
    assert machine.plan_packages([], is_root=False, has_apt=True).action == "none"


def test_root_installs_what_is_missing() -> None:
    plan = machine.plan_packages(["chromium", "fonts-noto-cjk"], is_root=True, has_apt=True)
    assert plan.action == "install"
    assert plan.packages == ("chromium", "fonts-noto-cjk")


def test_a_user_is_stopped_with_the_exact_command_to_run() -> None:
    plan = machine.plan_packages(["fonts-noto-cjk", "gettext"], is_root=False, has_apt=True)
    assert plan.action == "stop"
    assert "sudo apt-get update && sudo apt-get install -y fonts-noto-cjk gettext" in plan.message
    assert "Chinese glyphs in PDFs" in plan.message  # says why each is needed


def test_missing_packages_are_those_dpkg_does_not_have() -> None:
    have = {"fontconfig", "gettext"}
    assert machine.missing_packages(["fontconfig", "chromium", "gettext"], have.__contains__) == [
        "chromium"
    ]


def test_dpkg_answers_for_a_real_and_an_absent_package() -> None:
    assert machine.dpkg_installed("bash")
    assert not machine.dpkg_installed("no-such-package-dingdian")


def test_the_demo_uses_the_embedded_server_unless_database_url_is_set() -> None:
    never = lambda url: pytest.fail("the demo does not probe")  # noqa: E731
    assert machine.choose_postgres("run", "", never) == ("embedded", "")
    assert machine.choose_postgres("run", "postgres://h/db", never) == (
        "external",
        "postgres://h/db",
    )


def test_the_suite_uses_a_reachable_server_else_the_embedded_one() -> None:
    assert machine.choose_postgres("test", "", lambda url: True) == (
        "external",
        machine.DEFAULT_TEST_DATABASE_URL,
    )
    assert machine.choose_postgres("test", "postgres://x/y", lambda url: False) == ("embedded", "")


def test_redis_for_the_demo_is_optional_and_for_the_suite_started_when_down() -> None:
    assert machine.choose_redis("run", "", lambda url: False) == ("none", "")
    assert machine.choose_redis("test", "", lambda url: True) == (
        "external",
        machine.DEFAULT_TEST_REDIS_URL,
    )
    assert machine.choose_redis("test", "redis://h:1/0", lambda url: False) == ("local", "")


def test_unreachable_servers_are_told_apart_from_reachable_ones() -> None:
    assert not machine.postgres_reachable("postgres://postgres@127.0.0.1:1/x", timeout=1)
    assert not machine.redis_reachable("redis://127.0.0.1:1/0", timeout=1)
    assert machine.postgres_reachable(os.environ["DATABASE_URL"])


def test_embedded_postgresql_starts_serves_and_stops_by_pid(tmp_path: Path) -> None:
    """With DATABASE_URL pointing nowhere, `services --for test` starts the project's own
    server, prints a URL Django and libpq both use, and `stop` ends that server by its PID."""
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/dingdian",
        "REDIS_URL": os.environ.get("REDIS_URL", machine.DEFAULT_TEST_REDIS_URL),
    }
    script = str(ROOT / "scripts" / "machine.py")
    out = subprocess.run(
        [sys.executable, script, "services", "--for", "test", "--var", str(var)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("export DATABASE_URL=")
    url = out.split("DATABASE_URL=", 1)[1].split()[0].strip("'")
    pid = int((var / "pgdata" / "postmaster.pid").read_text().split()[0])
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("dingdian",)
    finally:
        subprocess.run(
            [sys.executable, script, "stop", "--var", str(var)], env=env, check=True, timeout=60
        )
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (var / "services.json").exists()


def test_folders_the_embedded_server_cannot_pass_through_are_found_and_opened(
    tmp_path: Path,
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    data = private / "var" / "pgdata"
    assert private in machine.untraversable_ancestors(data)
    machine.ensure_traversable(data)
    assert private not in machine.untraversable_ancestors(data)
    assert private.stat().st_mode & 0o777 == 0o701  # pass through, not list
