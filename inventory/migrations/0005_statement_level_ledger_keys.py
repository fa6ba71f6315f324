"""The four ledger foreign keys an import writes once per row (StockBatch.pharmacy, .drug;
Movement.batch; TraceabilityCode.batch) are checked per statement instead of per row.

PostgreSQL checks a declared foreign key with one lookup per inserted row, run at commit (2.5
of the 8.6 s a 100,000-row purchase import took). These triggers give the same guarantee
set-based, once per INSERT statement: every key of the new rows must name an existing row,
which is locked FOR KEY SHARE exactly as a foreign key check locks it, so it cannot be deleted
before this transaction ends. A changed key is checked row by row (UPDATE OF the column), and
deleting or renumbering a referenced row is refused at commit (as NO ACTION, deferred). Errors
carry SQLSTATE 23503 (foreign_key_violation), so Django raises IntegrityError as before.

What differs from a declared key: the INSERT check runs at the end of the statement, not at
commit (rows must be written parent first, which every path does); a referenced row can only
be deleted under READ COMMITTED (under REPEATABLE READ a child inserted by a concurrent
transaction would be invisible to the check, so it is refused); TRUNCATE is not checked.
tests/inventory/test_ledger_keys.py proves each guarantee, allowed and refused.
"""

from __future__ import annotations

from django.db import migrations, models

# (child table, column, parent table)
KEYS = [
    ("inventory_stockbatch", "pharmacy_id", "pharmacies_pharmacy"),
    ("inventory_stockbatch", "drug_id", "inventory_drug"),
    ("inventory_movement", "batch_id", "inventory_stockbatch"),
    ("inventory_traceabilitycode", "batch_id", "inventory_stockbatch"),
]


def _name(child: str, column: str) -> str:
    return f"{child}_{column.removesuffix('_id')}_key"


def _raise(child: str, column: str, parent: str, key: str) -> str:
    return (
        f"RAISE EXCEPTION 'insert or update on table \"{child}\" violates foreign key "
        f"\"{_name(child, column)}\"' USING ERRCODE = 'foreign_key_violation', "
        f"TABLE = '{child}', COLUMN = '{column}', "
        f"DETAIL = format('Key ({column})=(%s) is not present in table \"{parent}\".', {key});"
    )


def _child_sql(child: str, column: str, parent: str) -> str:
    name = _name(child, column)
    return f"""
CREATE FUNCTION {name}_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mine xid := pg_current_xact_id()::xid;
    keys bigint[];
    found bigint;
    others bigint[];
    locked bigint;
    missing bigint;
BEGIN
    SELECT array_agg(k) INTO keys
    FROM (SELECT DISTINCT {column} AS k FROM new_rows WHERE {column} IS NOT NULL) n;
    IF keys IS NULL THEN
        RETURN NULL;
    END IF;
    -- Each key looked up once by primary key. A row this transaction wrote (xmin) needs no
    -- lock: no other transaction sees it yet (or, updated, we hold its row lock already).
    -- Any other is locked as a foreign key check locks it; one deleted meanwhile is then
    -- not returned, so it counts as missing.
    SELECT count(*), array_agg(p.id) FILTER (WHERE p.xmin <> mine) INTO found, others
    FROM {parent} p WHERE p.id = ANY(keys);
    IF others IS NOT NULL THEN
        SELECT count(*) INTO locked
        FROM (SELECT 1 FROM {parent} p WHERE p.id = ANY(others) FOR KEY SHARE) l;
        found := found - cardinality(others) + locked;
    END IF;
    IF found < cardinality(keys) THEN
        SELECT n.{column} INTO missing FROM new_rows n WHERE n.{column} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = n.{column}) LIMIT 1;
        {_raise(child, column, parent, "missing")}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name}_inserted AFTER INSERT ON {child}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}_inserted();

CREATE FUNCTION {name}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {parent} p WHERE p.id = NEW.{column} FOR KEY SHARE;
    IF NOT FOUND THEN
        {_raise(child, column, parent, f"NEW.{column}")}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name}_changed AFTER UPDATE OF {column} ON {child} FOR EACH ROW
    WHEN (NEW.{column} IS NOT NULL AND NEW.{column} IS DISTINCT FROM OLD.{column})
    EXECUTE FUNCTION {name}_changed();
"""


def _parent_sql(parent: str) -> str:
    children = [(c, col) for c, col, p in KEYS if p == parent]
    checks = "\n".join(
        f"""    IF EXISTS (SELECT 1 FROM {c} WHERE {col} = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "{parent}" violates foreign key "{_name(c, col)}" on table "{c}"'
        USING ERRCODE = 'foreign_key_violation', TABLE = '{c}',
        DETAIL = format('Key (id)=(%s) is still referenced from table "{c}".', OLD.id);
    END IF;"""
        for c, col in children
    )
    return f"""
CREATE FUNCTION {parent}_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- As NO ACTION: fine if a row with this key exists again by commit.
    IF EXISTS (SELECT 1 FROM {parent} WHERE id = OLD.id) THEN
        RETURN NULL;
    END IF;
    -- Under REPEATABLE READ a child inserted by a concurrent transaction is invisible here.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'rows of "{parent}" can be deleted only under READ COMMITTED'
        USING ERRCODE = 'serialization_failure';
    END IF;
{checks}
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER {parent}_deleted AFTER DELETE ON {parent}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {parent}_referenced();
CREATE CONSTRAINT TRIGGER {parent}_renumbered AFTER UPDATE OF id ON {parent}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION {parent}_referenced();
"""


PARENTS = sorted({p for _c, _col, p in KEYS})
FORWARD = "".join(_child_sql(*key) for key in KEYS) + "".join(_parent_sql(p) for p in PARENTS)
BACKWARD = "".join(
    f"DROP TRIGGER {_name(c, col)}_inserted ON {c}; DROP TRIGGER {_name(c, col)}_changed ON {c};"
    f"DROP FUNCTION {_name(c, col)}_inserted(); DROP FUNCTION {_name(c, col)}_changed();"
    for c, col, _p in KEYS
) + "".join(
    f"DROP TRIGGER {p}_deleted ON {p}; DROP TRIGGER {p}_renumbered ON {p};"
    f"DROP FUNCTION {p}_referenced();"
    for p in PARENTS
)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_ledger_keys_and_indexes_for_imports"),
        ("pharmacies", "0002_historicalpharmacy_administrative_penalty_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stockbatch",
            name="pharmacy",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="batches",
                to="pharmacies.pharmacy",
            ),
        ),
        migrations.AlterField(
            model_name="stockbatch",
            name="drug",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="batches",
                to="inventory.drug",
            ),
        ),
        migrations.AlterField(
            model_name="movement",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="movements",
                to="inventory.stockbatch",
            ),
        ),
        migrations.AlterField(
            model_name="traceabilitycode",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="codes",
                to="inventory.stockbatch",
            ),
        ),
        migrations.RunPython(
            lambda apps, schema_editor: _run(schema_editor, FORWARD),
            lambda apps, schema_editor: _run(schema_editor, BACKWARD),
        ),
    ]


def _run(schema_editor, sql: str) -> None:  # type: ignore[no-untyped-def]
    # Not schema_editor.execute(): that would read format()'s %s as parameters.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)
