"""Append-only tables: the database itself refuses to rewrite audit, history and event rows.

A BEFORE UPDATE OR DELETE trigger on each such table raises an error, whoever the role —
the superuser the tests run as included, which GRANT/REVOKE alone could not prove. The tables:
- `core.AuditEvent` (its trigger is installed by migration core 0002);
- every django-simple-history `Historical*` table of our apps;
- every model of ours with `append_only = True` (`core.models.TransitionEvent` and its
  subclasses, the dispensing and quota events, the resident-ID reveal rows).

History and event tables belong to the apps above core, so core cannot name them in its own
migrations; `protect_append_only_tables` runs after every `manage.py migrate` (post_migrate,
`core.apps`) and protects each such table that is not yet protected, so a table added later is
covered as soon as it exists (`tests/core/test_audit_immutability.py` checks every one).

Privileges: with `DINGDIAN_DATABASE_APP_ROLE` set (the role the portal runs as, distinct from
the owner that runs migrations), each table is also `REVOKE UPDATE, DELETE, TRUNCATE … FROM
PUBLIC, <role>` and `GRANT SELECT, INSERT … TO <role>`. PUBLIC is always revoked. TRUNCATE is
a statement, not a row operation: row triggers do not see it (the test suite's flushes use it),
which is why the runtime role must not hold it.

One maintenance operation must rewrite history rows: re-encrypting resident IDs under a new key
(`manage.py rotate_field_keys`), which changes the stored ciphertext and nothing else. It runs
as the tables' owner and lifts the trigger of one table inside its own transaction
(`rewrite_allowed`, `ALTER TABLE … DISABLE TRIGGER`, undone at commit or rollback); the
runtime role owns no table and cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Model
from simple_history.models import HistoricalChanges

TRIGGER = "dingdian_append_only"
FUNCTION = "dingdian_refuse_rewrite"

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dingdian: % on % refused: audit, history and event rows are append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def protect_sql(table: str, *, app_role: str = "") -> list[str]:
    """Statements that make `table` append-only (idempotent)."""
    quoted = _quote(table)
    statements = [
        f"CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {quoted} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {quoted} FROM PUBLIC",
    ]
    if app_role:
        role = _quote(app_role)
        statements += [
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {quoted} FROM {role}",
            f"GRANT SELECT, INSERT ON {quoted} TO {role}",
        ]
    return statements


def unprotect_sql(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {_quote(table)}"]


def is_append_only(model: type[Model]) -> bool:
    meta = model._meta
    if meta.app_label not in settings.DINGDIAN_APPS or meta.proxy or not meta.managed:
        return False
    return issubclass(model, HistoricalChanges) or bool(getattr(model, "append_only", False))


@contextmanager
def rewrite_allowed(table: str, using: str = "default") -> Iterator[None]:
    """Within one transaction, rows of this append-only table may be updated (key rotation
    only; see the module's docstring). Needs the table's owner."""
    connection = connections[using]
    with transaction.atomic(using=using):
        protected = table in protected_tables(using)
        with connection.cursor() as cursor:
            # ALTER TABLE waits for no deferred foreign-key check: run them now.
            if protected:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {TRIGGER}")
            yield
            if protected:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {TRIGGER}")


def append_only_tables() -> list[str]:
    return sorted({m._meta.db_table for m in apps.get_models() if is_append_only(m)})


def protected_tables(using: str = "default") -> set[str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND pg_table_is_visible(c.oid)",
            [TRIGGER],
        )
        return {row[0] for row in cursor.fetchall()}


def protect_append_only_tables(using: str = "default", **kwargs: Any) -> list[str]:
    """Protect each existing append-only table not yet protected; returns those it protected."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    wanted = [t for t in append_only_tables() if t in existing]
    app_role = settings.DINGDIAN_DATABASE_APP_ROLE
    missing = wanted if app_role else sorted(set(wanted) - protected_tables(using))
    if not missing:
        return []
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in missing:
            for statement in protect_sql(table, app_role=app_role):
                cursor.execute(statement)
    return missing
