"""The ledger keys the database checks per statement (inventory.models.LEDGER_KEYS, migration
inventory 0005: StockBatch.pharmacy, StockBatch.drug, Movement.batch, TraceabilityCode.batch)
guarantee what a declared foreign key does (GY-A06, HY-B03): a row naming a missing parent is
refused, also among many and also when changed later; a parent still named cannot be deleted
or renumbered; a parent named by an open transaction is locked against deletion."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from inventory.models import Drug, Movement, MovementKind, StockBatch, TraceabilityCode
from pharmacies.models import Pharmacy
from tests.factories.inventory import DrugFactory, at
from tests.factories.pharmacies import PharmacyFactory

MISSING = 987_654_321


def _movement(batch_id: int, pharmacy: Pharmacy, drug: Drug) -> Movement:
    return Movement(
        pharmacy=pharmacy,
        batch_id=batch_id,
        drug=drug,
        kind=MovementKind.PURCHASE,
        quantity=1,
        occurred_at=at(date(2026, 7, 1)),
    )


def _at_commit() -> None:
    """Run the checks deferred to commit now (the test's transaction is rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def batch(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> StockBatch:
    return StockBatch.objects.create(pharmacy=pharmacy, drug=catalogue["amlodipine"], batch_no="K")


@pytest.mark.django_db
def test_gy_a06_rows_naming_existing_parents_are_written(
    batch: StockBatch, catalogue: dict[str, Drug]
) -> None:
    other = StockBatch.objects.create(
        pharmacy=batch.pharmacy, drug=catalogue["captopril"], batch_no="K2"
    )
    Movement.objects.bulk_create(
        [
            _movement(batch.pk, batch.pharmacy, batch.drug),
            _movement(other.pk, other.pharmacy, other.drug),
        ]
    )
    code = TraceabilityCode.objects.create(code="K0001", pharmacy=batch.pharmacy, batch=batch)
    TraceabilityCode.objects.filter(pk=code.pk).update(batch=other)
    _at_commit()
    assert Movement.objects.filter(batch__in=[batch, other]).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("link", ["pharmacy", "drug"])
def test_gy_a06_a_batch_of_a_missing_pharmacy_or_drug_is_refused(
    batch: StockBatch, link: str
) -> None:
    fields: dict[str, Any] = {"pharmacy": batch.pharmacy, "drug": batch.drug}
    fields.pop(link)
    with pytest.raises(IntegrityError, match=f"{link}_id"), transaction.atomic():
        StockBatch.objects.create(batch_no="X", **fields, **{f"{link}_id": MISSING})
    with pytest.raises(IntegrityError, match=f"{link}_id"), transaction.atomic():
        StockBatch.objects.filter(pk=batch.pk).update(**{f"{link}_id": MISSING})


@pytest.mark.django_db
def test_gy_a06_a_movement_of_a_missing_batch_is_refused_even_among_many(
    batch: StockBatch,
) -> None:
    good = [_movement(batch.pk, batch.pharmacy, batch.drug) for _ in range(50)]
    with pytest.raises(IntegrityError, match=f"batch_id\\)=\\({MISSING}\\)"), transaction.atomic():
        Movement.objects.bulk_create([*good, _movement(MISSING, batch.pharmacy, batch.drug)])
    assert not Movement.objects.exists()
    Movement.objects.bulk_create(good[:1])
    with pytest.raises(IntegrityError, match="batch_id"), transaction.atomic():
        Movement.objects.update(batch_id=MISSING)


@pytest.mark.django_db
def test_hy_b03_a_code_of_a_missing_batch_is_refused(batch: StockBatch) -> None:
    with pytest.raises(IntegrityError, match="batch_id"), transaction.atomic():
        TraceabilityCode.objects.create(code="K0002", pharmacy=batch.pharmacy, batch_id=MISSING)
    code = TraceabilityCode.objects.create(code="K0003", pharmacy=batch.pharmacy, batch=batch)
    with pytest.raises(IntegrityError, match="batch_id"), transaction.atomic():
        TraceabilityCode.objects.filter(pk=code.pk).update(batch_id=MISSING)


def _delete(table: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


@pytest.mark.django_db
@pytest.mark.parametrize("child", ["movement", "code"])
def test_gy_a06_a_batch_still_named_is_not_deleted_an_unnamed_one_is(
    batch: StockBatch, child: str
) -> None:
    if child == "movement":
        _movement(batch.pk, batch.pharmacy, batch.drug).save()
    else:
        TraceabilityCode.objects.create(code="K0004", pharmacy=batch.pharmacy, batch=batch)
    with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
        _delete("inventory_stockbatch", batch.pk)
        _at_commit()
    with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_stockbatch SET id = %s WHERE id = %s", [MISSING, batch.pk]
            )
        _at_commit()
    unnamed = StockBatch.objects.create(pharmacy=batch.pharmacy, drug=batch.drug, batch_no="U")
    _delete("inventory_stockbatch", unnamed.pk)
    _at_commit()
    assert not StockBatch.objects.filter(pk=unnamed.pk).exists()


@pytest.mark.django_db
def test_gy_a06_a_pharmacy_or_drug_with_batches_is_not_deleted(pharmacy: Pharmacy) -> None:
    drug = DrugFactory.create(insurance_code="XK0000000001")  # named by nothing but the batch
    StockBatch.objects.create(pharmacy=pharmacy, drug=drug, batch_no="K")
    for table, pk in (("pharmacies_pharmacy", pharmacy.pk), ("inventory_drug", drug.pk)):
        with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
            _delete(table, pk)
            _at_commit()
    unnamed = DrugFactory.create(insurance_code="XK0000000003")
    _delete("inventory_drug", unnamed.pk)
    _at_commit()


def _other_connection() -> psycopg.Connection[Any]:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )


@pytest.mark.django_db(transaction=True)
def test_gy_a06_a_batch_named_by_an_open_transaction_cannot_be_deleted_meanwhile(
    personas: dict[str, Any],
) -> None:
    from accounts.models import Role

    pharmacy = PharmacyFactory.create(
        organisation=personas[Role.PHARMACY_MANAGER].memberships.get().organisation
    )
    drug = DrugFactory.create(insurance_code="XK0000000002")
    batch = StockBatch.objects.create(pharmacy=pharmacy, drug=drug, batch_no="L")
    spare = StockBatch.objects.create(pharmacy=pharmacy, drug=drug, batch_no="L2")
    other = _other_connection()
    try:
        with transaction.atomic():
            # Another transaction writes a movement of the committed batch: the batch is
            # locked (FOR KEY SHARE) until it ends, as a declared foreign key locks it.
            _movement(batch.pk, pharmacy, drug).save()
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM inventory_stockbatch WHERE id = %s", [batch.pk])
            other.rollback()
        # Under REPEATABLE READ a concurrent new movement would be invisible: refused.
        other.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        other.execute("DELETE FROM inventory_stockbatch WHERE id = %s", [spare.pk])
        with pytest.raises(psycopg.errors.SerializationFailure):
            other.commit()
        other.execute("DELETE FROM inventory_stockbatch WHERE id = %s", [spare.pk])
        other.commit()
    finally:
        other.close()
    assert Movement.objects.filter(batch=batch).count() == 1
    assert not StockBatch.objects.filter(pk=spare.pk).exists()


@pytest.mark.django_db
def test_every_ledger_key_has_its_insert_trigger_in_the_database() -> None:
    """LEDGER_KEYS (what the models declare as checked per statement) and the triggers
    migration 0005 installed name the same keys: none unchecked, none forgotten."""
    from django.apps import apps

    from inventory.models import LEDGER_KEYS

    expected = set()
    for model_name, field_name in LEDGER_KEYS:
        field = apps.get_model("inventory", model_name)._meta.get_field(field_name)
        assert not field.db_constraint, f"{model_name}.{field_name} is also a declared key"
        expected.add(f"{field.model._meta.db_table}_{field_name}_key_inserted")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
            ["%_key_inserted"],
        )
        installed = {name for (name,) in cursor.fetchall()}
    assert installed == expected
