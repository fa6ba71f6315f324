"""Benchmarks run in scratch PostgreSQL databases, created and dropped here: never in the
developer's data, and no database has to exist beforehand. Each scratch name carries the name of
the configured database (`DATABASE_URL`), so benchmarks of two checkouts on one server never
drop each other's scratch databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connections

_root: list[str] = []


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """Create database `<name>_<configured name>`, migrate it, point Django at it, yield its
    name; drop it afterwards."""
    base = settings.DATABASES["default"]
    if not _root:
        _root.append(str(base["NAME"]))
    name = f"{name}_{_root[0]}"[:63]
    admin = psycopg.connect(
        host=base.get("HOST") or None,
        port=base.get("PORT") or None,
        user=base.get("USER") or None,
        password=base.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {name}")
    original = base["NAME"]
    connections.close_all()
    base["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield name
    finally:
        connections.close_all()
        base["NAME"] = original
        connections["default"].settings_dict["NAME"] = original
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
