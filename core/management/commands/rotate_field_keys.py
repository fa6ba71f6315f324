"""Re-encrypt every encrypted column under the first key of DINGDIAN_FIELD_KEYS (key
rotation), and with --reindex recompute every blind index (after changing
DINGDIAN_BLIND_INDEX_KEY). Idempotent; run it again after an interruption."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from core.crypto import blind_index, blind_index_fields, encrypted_fields, reencrypt
from core.immutability import rewrite_allowed

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt resident IDs under the first DINGDIAN_FIELD_KEYS key (key rotation)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="also recompute every blind index (after changing DINGDIAN_BLIND_INDEX_KEY)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        qn = connection.ops.quote_name
        for model, field in encrypted_fields():
            table, pk, column = model._meta.db_table, model._meta.pk.column, field.column
            done = 0
            last: Any = None
            while True:
                # Raw SQL over the stored tokens: MultiFernet.rotate decrypts with any key and
                # encrypts with the first; batches by primary key keep each transaction short.
                # History tables are append-only: lifted for this transaction only.
                with rewrite_allowed(table), connection.cursor() as cursor:
                    where = f"WHERE {qn(column)} <> ''" + (
                        f" AND {qn(pk)} > %s" if last is not None else ""
                    )
                    cursor.execute(
                        f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} {where} "  # noqa: S608 (quoted names of our own tables)
                        f"ORDER BY {qn(pk)} LIMIT {BATCH} FOR UPDATE",
                        [last] if last is not None else [],
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    cursor.executemany(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608 (quoted names of our own tables)
                        [(reencrypt(token), key) for key, token in rows],
                    )
                done += len(rows)
                last = rows[-1][0]
            self.stdout.write(f"{table}.{column}: {done} re-encrypted")
        if options["reindex"]:
            for model, index in blind_index_fields():
                count = 0
                with rewrite_allowed(model._meta.db_table):
                    for pk, value in model._default_manager.values_list("pk", index.source):
                        model._default_manager.filter(pk=pk).update(
                            **{index.attname: blind_index(value)}
                        )
                        count += 1
                self.stdout.write(f"{model._meta.db_table}.{index.column}: {count} re-indexed")
