"""Issue 12.5: audit, history and event rows cannot be rewritten — the database refuses it.

The suite runs as the PostgreSQL superuser, whom GRANT/REVOKE do not bind; the BEFORE UPDATE
OR DELETE triggers (core.immutability) bind every role, so these tests prove the refusal with
raw SQL, beneath the ORM."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import Organisation, OrganisationKind
from core.audit import audit_record
from core.immutability import append_only_tables, protect_append_only_tables, protected_tables
from core.models import AuditAction, AuditEvent
from tests.factories import region

pytestmark = pytest.mark.django_db


def _refused(sql: str, params: list[Any]) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def _history_row() -> int:
    organisation = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="审计测试医保局", region=region()
    )
    return organisation.history.get().history_id


def test_sec_audit_update_of_an_audit_row_is_refused_by_the_database() -> None:
    event = audit_record(action=AuditAction.EXPORT, detail="before")
    _refused("UPDATE core_auditevent SET detail = 'after' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.detail == "before"


def test_sec_audit_delete_of_an_audit_row_is_refused_by_the_database() -> None:
    event = audit_record(action=AuditAction.EXPORT)
    _refused("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_sec_audit_update_of_history_row_is_refused_by_the_database() -> None:
    history_id = _history_row()
    _refused(
        "UPDATE accounts_historicalorganisation SET name = 'rewritten' WHERE history_id = %s",
        [history_id],
    )
    _refused(
        "UPDATE accounts_historicalorganisation SET history_user_id = NULL WHERE history_id = %s",
        [history_id],
    )


def test_sec_audit_delete_of_history_row_is_refused_by_the_database() -> None:
    history_id = _history_row()
    _refused("DELETE FROM accounts_historicalorganisation WHERE history_id = %s", [history_id])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM accounts_historicalorganisation WHERE history_id = %s", [history_id]
        )
        assert cursor.fetchone() == ("审计测试医保局",)


def test_sec_audit_insert_of_audit_and_history_rows_still_works() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (at, action, username, organisation_name, role, "
            "api_key_prefix, object_type, object_id, detail, user_agent, request_id) "
            "VALUES (now(), 'export', 'raw', '', '', '', '', '', 'raw insert', '', '') "
            "RETURNING id"
        )
        (new_id,) = cursor.fetchone()
    assert AuditEvent.objects.get(pk=new_id).detail == "raw insert"
    # A save writes a new history row: inserting history is what the app does all day.
    organisation = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="审计测试医保局", region=region()
    )
    organisation.name = "审计测试医保局（更名）"
    organisation.save()
    assert organisation.history.count() == 2


def test_sec_audit_every_history_and_event_table_is_protected_by_the_trigger() -> None:
    tables = append_only_tables()
    for expected in (
        "core_auditevent",
        "accounts_historicalmembership",
        "accounts_historicalorganisation",
        "patients_historicalpatient",
        "patients_filingevent",
        "patients_residentidreveal",
        "accreditation_applicationevent",
        "prescriptions_dispensingevent",
        "prescriptions_quotaevent",
        "inventory_stocktakeevent",
        "supervision_findingevent",
    ):
        assert expected in tables
    assert set(tables) <= protected_tables()
    assert protect_append_only_tables() == []  # idempotent: nothing left to protect


def test_sec_audit_public_holds_no_update_delete_or_truncate_on_append_only_tables() -> None:
    with connection.cursor() as cursor:
        for table in append_only_tables():
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege('public', %s, %s)", [table, privilege])
                assert cursor.fetchone() == (False,), (table, privilege)


def test_sec_audit_update_and_delete_of_an_event_row_are_refused_by_the_database() -> None:
    """An event table (here the dispensings'; its key to the dispensing is unchecked, so a
    row can be inserted bare) is as append-only as history."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO prescriptions_dispensingevent "
            "(dispensing_id, old_status, new_status, reason, rule_id, at) "
            "VALUES (999999, '', 'settled', '', '', now()) RETURNING id"
        )
        (event_id,) = cursor.fetchone()
    _refused("UPDATE prescriptions_dispensingevent SET reason = 'x' WHERE id = %s", [event_id])
    _refused("DELETE FROM prescriptions_dispensingevent WHERE id = %s", [event_id])


@pytest.mark.django_db
def test_sec_audit_key_rotation_lifts_the_trigger_of_one_table_in_its_transaction_only() -> None:
    """Re-encrypting under a new key rewrites history rows (rotate_field_keys): allowed inside
    `rewrite_allowed`, refused again right after, and refused if that transaction fails."""
    from core.immutability import rewrite_allowed

    table = "core_auditevent"
    audit_record(action=AuditAction.EXPORT, region_id=region().pk, detail="before")
    with rewrite_allowed(table), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET detail = 'rotated'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET detail = 'again'")
    with pytest.raises(RuntimeError), rewrite_allowed(table):
        raise RuntimeError("rotation interrupted")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
