"""`make backup` / `make restore`: a backup restores into a new database and media folder, and
the restore is checked against the backup's manifest (row counts, file checksums)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "scripts" / "backup.py")


def _url(name: str) -> str:
    s = connection.settings_dict
    host = s["HOST"] or s.get("OPTIONS", {}).get("host", "")
    if str(host).startswith("/"):
        return f"postgres://{s['USER']}@/{name}?host={host}"
    return f"postgres://{s['USER']}@{host}:{s['PORT'] or 5432}/{name}"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("private")
    (folder / "evidence" / "2026").mkdir(parents=True)
    (folder / "evidence" / "2026" / "contract.pdf").write_bytes(b"%PDF-1.7 labour contract")
    (folder / "payroll.png").write_bytes(b"\x89PNG payroll sheet")
    return folder


@pytest.fixture
def new_database() -> Iterator[str]:
    name = f"restore_{uuid.uuid4().hex[:12]}"
    yield _url(name)
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _backup(media: Path, out: Path) -> subprocess.CompletedProcess[str]:
    # The test database's reference data (regions, programmes, diseases…) is committed: the
    # backup, run as `make backup` runs it, sees what a bureau's database holds.
    return _run(
        "backup",
        "--out",
        str(out),
        DATABASE_URL=_url(connection.settings_dict["NAME"]),
        DINGDIAN_PRIVATE_MEDIA_ROOT=str(media),
    )


@pytest.fixture(scope="module")
def backup_dir(
    django_db_setup: Any, django_db_blocker: Any, media: Path, tmp_path_factory: Any
) -> Path:
    """One backup of the test database for the module (a backup takes seconds)."""
    out = tmp_path_factory.mktemp("backups") / "backup"
    with django_db_blocker.unblock():
        made = _backup(media, out)
    assert made.returncode == 0, made.stderr
    return out


def test_backup_restores_into_a_new_database_and_folder_matching_its_manifest(
    db: Any, backup_dir: Path, tmp_path: Path, new_database: str
) -> None:
    out = backup_dir
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tables"]["programmes_programme"] >= 2
    assert set(manifest["files"]) == {"evidence/2026/contract.pdf", "payroll.png"}

    restored_media = tmp_path / "restored"
    result = _run(
        "restore",
        "--from",
        str(out),
        "--database-url",
        new_database,
        "--media",
        str(restored_media),
    )
    assert result.returncode == 0, result.stderr
    assert "Restored and verified" in result.stdout
    assert (restored_media / "evidence" / "2026" / "contract.pdf").read_bytes().startswith(b"%PDF")
    with psycopg.connect(new_database, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM programmes_programme").fetchone()
        assert row == (manifest["tables"]["programmes_programme"],)
        # A restore that lost rows is reported by table.
        conn.execute(
            "DELETE FROM programmes_diseasestandard"
            " WHERE id = (SELECT min(id) FROM programmes_diseasestandard)"
        )
    check = _run(
        "verify", "--from", str(out), "--database-url", new_database, "--media", str(restored_media)
    )
    assert check.returncode == 1
    assert "programmes_diseasestandard:" in check.stderr


def test_an_altered_backup_is_refused_before_anything_is_restored(
    db: Any, backup_dir: Path, tmp_path: Path, new_database: str
) -> None:
    out = tmp_path / "backup"
    shutil.copytree(backup_dir, out)
    (out / "media" / "payroll.png").write_bytes(b"tampered")
    result = _run(
        "restore",
        "--from",
        str(out),
        "--database-url",
        new_database,
        "--media",
        str(tmp_path / "r"),
    )
    assert result.returncode == 1
    assert "payroll.png: checksum differs" in result.stderr
    assert not (tmp_path / "r").exists()


def test_restore_never_overwrites_a_database_in_use(
    db: Any, backup_dir: Path, tmp_path: Path
) -> None:
    out = backup_dir
    live = _url(connection.settings_dict["NAME"])
    result = _run(
        "restore", "--from", str(out), "--database-url", live, "--media", str(tmp_path / "r")
    )
    assert result.returncode == 1
    assert "is not empty: restore into a new database" in result.stderr
