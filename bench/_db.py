"""Benchmarks run in scratch PostgreSQL databases, created and dropped here: never in the
developer's data, and no database has to exist beforehand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connections


@contextmanager
def bench_database(name: str) -> Iterator[None]:
    """Create a scratch database, migrate it, point Django at it; drop it afterwards.

    Its name is `name` followed by the configured database's, so developers sharing one
    PostgreSQL server (each with their own DATABASE_URL) never drop each other's."""
    base = settings.DATABASES["default"]
    original = base["NAME"]
    name = f"{name}_{original}"[:63]
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
    connections.close_all()
    base["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connections.close_all()
        base["NAME"] = original
        connections["default"].settings_dict["NAME"] = original
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
