"""Rows committed on their own: a record that must outlive the transaction it is written in
(a refused counter attempt whose sale rolls back).

Outside a transaction (the counter's checks run before the sale's atomic block) the row is
simply saved in autocommit. Inside one, it is inserted on a second connection to the same
database, in autocommit, so the caller's rollback cannot take it back. A test's own wrapping
transaction (Django's TestCase) does not count: there the row is saved on the test's
connection, where the rows it refers to are visible.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, models


def _in_real_transaction(alias: str) -> bool:
    connection = connections[alias]
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def save_autonomously(instance: models.Model, *, alias: str = DEFAULT_DB_ALIAS) -> models.Model:
    """Insert `instance` committed on its own (see the module); returns it with its pk."""
    if not _in_real_transaction(alias):
        instance.save(using=alias)
        return instance
    own = connections.create_connection(alias)
    own.settings_dict = {**connections[alias].settings_dict}
    try:
        own.set_autocommit(True)
        meta = instance._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        columns = ", ".join(own.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        values = [f.get_db_prep_save(f.pre_save(instance, True), own) for f in fields]
        sql = (
            f"INSERT INTO {own.ops.quote_name(meta.db_table)} ({columns})"  # noqa: S608
            f" VALUES ({marks}) RETURNING {own.ops.quote_name(meta.pk.column)}"
        )
        with own.cursor() as cursor:
            cursor.execute(sql, values)
            instance.pk = cursor.fetchone()[0]
        instance._state.adding = False
        instance._state.db = alias
    finally:
        own.close()
    return instance
