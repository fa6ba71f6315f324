"""Issue 12.4 — resident IDs protected at rest and in transit. Each attack reproduced on the
real database: reading the raw tables (main and history), looking a patient up by a URL,
rotating the encryption keys."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from core.crypto import (
    blind_index,
    decrypt_column_in_migration,
    encrypt_column_in_migration,
    lookup_token,
)
from patients.models import HospitalStay, Patient, ProxyAuthorisation, ProxyMethod
from patients.services import proxy_authorise
from pharmacies.models import StaffMember
from pharmacies.services import staff_member_save
from prescriptions.models import Dispensing
from prescriptions.services import ProxyInput, dispensing_submit
from tests.factories import member
from tests.factories.patients import clerk, county_window, enrol, hospital, patient, resident_id
from tests.factories.prescriptions import png, world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"
# A GB 11643 number anywhere in a row's text: 17 digits and a digit or X.
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
TABLES = [
    "patients_patient",
    "patients_historicalpatient",
    "patients_proxyauthorisation",
    "pharmacies_staffmember",
    "pharmacies_historicalstaffmember",
    "prescriptions_dispensing",
]


def _raw_rows(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")
        return [row[0] for row in cursor.fetchall()]


def _raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _pos_client(organisation: Any, manager: Any) -> APIClient:
    _key, raw = api_key_create(organisation=organisation, name="POS", actor=manager)
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")


def test_raw_tables_main_and_history_hold_no_plaintext_resident_id() -> None:
    # Given every kind of row that carries a resident ID, written through the services
    w = world()
    p = w.patient
    p.name = "王建华（改名）"
    p.save()  # a second history row
    window = county_window()
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
        proxy_authorise(
            patient=p,
            ground="bedridden",
            method=ProxyMethod.PROXY,
            valid_from=date(2026, 11, 1),
            actor=clerk(window),
            organisation=window,
            proxy_name="王小明",
            proxy_resident_id=resident_id(50),
        )
    staff = staff_member_save(
        pharmacy=w.pharmacy,
        data={
            "name": "李药师",
            "post": "pharmacist",
            "resident_id": resident_id(70).lower(),
            "hired_on": date(2026, 1, 1),
        },
        actor=w.pharmacist,
    )
    with time_machine.travel(MAY, tick=False):
        prescription = w.prescription()
        dispensing = dispensing_submit(
            pharmacy=w.pharmacy,
            prescription=prescription,
            lines=[w.line(prescription, 10)],
            actor=w.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
            proxy=ProxyInput("王小明", resident_id(50), png()),
            personal_paid=None,
            idempotency_key=None,
        )
    # When the tables are read directly, bypassing the portal
    rows = {table: _raw_rows(table) for table in TABLES}
    # Then no row of any of them, main or history, holds an ID in clear
    assert all(rows.values()), rows
    for table, texts in rows.items():
        for text in texts:
            assert not RESIDENT_ID.search(text), (table, text)
    # … the columns hold Fernet tokens and the blind indexes hold the keyed hash …
    assert _raw_column("patients_patient", "resident_id", p.pk).startswith("gAAAAA")
    assert _raw_column("patients_patient", "resident_id_index", p.pk) == blind_index(p.resident_id)
    assert _raw_column("pharmacies_staffmember", "resident_id_index", staff.pk) == blind_index(
        resident_id(70)
    )
    # … and the portal still reads them back (normalised, masked where shown)
    assert Dispensing.objects.get(pk=dispensing.pk).proxy_resident_id == resident_id(50)
    assert StaffMember.objects.get(pk=staff.pk).resident_id == resident_id(70)
    assert StaffMember.objects.get(pk=staff.pk).masked_resident_id.startswith("430421")
    assert p.history.count() >= 2
    assert {h.resident_id for h in p.history.all()} == {p.resident_id}
    assert ProxyAuthorisation.objects.get(patient=p).proxy_resident_id == resident_id(50)


def test_an_encrypted_column_refuses_sql_comparison() -> None:
    p = patient()
    with pytest.raises(FieldError, match="blind_index"):
        Patient.objects.filter(resident_id=p.resident_id).exists()
    # The one way in: the blind index, whatever the case of X or the spaces typed
    assert Patient.objects.get(resident_id_index=blind_index(f" {p.resident_id.lower()} ")) == p


def test_lookup_by_full_id_finds_the_patient_at_the_counter_page_and_pos_api() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = login(Client(), w.pharmacist)
        page = c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        html = page.content.decode()
        assert w.patient.name in html and p.number in html
        # The page links on with an opaque token, never the number itself
        assert "resident_id=" not in html.replace('name="resident_id"', "")
        assert "?p=" in html
        manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
        api = _pos_client(w.pharmacy.organisation, manager)
        found = api.post(
            "/api/v1/pos/eligibility/", {"resident_id": w.patient.resident_id}, format="json"
        )
        assert found.status_code == 200 and found.json()["name"] == w.patient.name


def test_a_resident_id_in_the_query_string_is_not_accepted_for_lookups() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        w.prescription()
        c = login(Client(), w.pharmacist)
        rid = w.patient.resident_id
        # Pages: ignored (no lookup happens)
        assert (
            w.patient.name not in c.get(f"/dispensing/counter/?resident_id={rid}").content.decode()
        )
        assert w.patient.name not in (
            c.get(f"/dispensing/prescriptions/record/?resident_id={rid}").content.decode()
        )
        # API: the lookup is a POST; a GET is not allowed at all
        manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
        api = _pos_client(w.pharmacy.organisation, manager)
        assert api.get("/api/v1/pos/eligibility/", {"resident_id": rid}).status_code == 405
        # A forged or altered token finds no one
        token = lookup_token(w.patient.pk)
        assert w.patient.name in c.get(f"/dispensing/counter/?p={token}").content.decode()
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert w.patient.name not in c.get(f"/dispensing/counter/?p={forged}").content.decode()


def test_hospital_stay_api_finds_the_patient_by_full_id() -> None:
    h = hospital()
    with time_machine.travel("2027-04-01 10:00 +0800", tick=False):
        p = enrol(patient()).patient  # a 特门 patient of the hospital's region
    _key, raw = api_key_create(organisation=h, name="HIS", actor=clerk(h))
    api = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    with time_machine.travel("2027-06-10 10:00 +0800", tick=False):
        made = api.post(
            "/api/v1/tm/hospital-stays/",
            {"resident_id": p.resident_id.lower(), "admitted_on": "2027-06-01"},
            format="json",
        )
    assert made.status_code == 201, made.content
    assert HospitalStay.objects.get().patient == p


def test_key_rotation_reencrypts_and_the_old_key_can_then_be_removed() -> None:
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    # Given a patient (and its history row) encrypted under key A
    with override_settings(DINGDIAN_FIELD_KEYS=[key_a]):
        p = patient()
        rid = p.resident_id
        token_a = _raw_column("patients_patient", "resident_id", p.pk)
        assert Fernet(key_a.encode()).decrypt(token_a.encode()).decode() == rid
    # When B is put first (A still there) the values still read, then the command rotates
    with override_settings(DINGDIAN_FIELD_KEYS=[key_b, key_a]):
        assert Patient.objects.get(pk=p.pk).resident_id == rid
        call_command("rotate_field_keys", stdout=SimpleNamespace(write=lambda _s: None))
        token_b = _raw_column("patients_patient", "resident_id", p.pk)
        assert token_b != token_a
        assert Fernet(key_b.encode()).decrypt(token_b.encode()).decode() == rid
        with pytest.raises(InvalidToken):
            Fernet(key_a.encode()).decrypt(token_b.encode())
    # Then, A removed, every value (history included) still decrypts and is still found
    with override_settings(DINGDIAN_FIELD_KEYS=[key_b]):
        again = Patient.objects.get(resident_id_index=blind_index(rid))
        assert again.resident_id == rid
        assert {h.resident_id for h in again.history.all()} == {rid}


def test_changing_the_blind_index_key_needs_a_reindex() -> None:
    p = patient()
    rid = p.resident_id
    with override_settings(DINGDIAN_BLIND_INDEX_KEY="another-blind-index-key"):
        assert not Patient.objects.filter(resident_id_index=blind_index(rid)).exists()
        call_command(
            "rotate_field_keys", "--reindex", stdout=SimpleNamespace(write=lambda _s: None)
        )
        assert Patient.objects.get(resident_id_index=blind_index(rid)) == p


def test_the_data_migration_encrypts_plaintext_and_reverses() -> None:
    p = patient()
    rid = p.resident_id
    editor = SimpleNamespace(connection=connection)
    spec: dict[str, Any] = {
        "table": "patients_patient",
        "pk": "id",
        "column": "resident_id",
        "index_column": "resident_id_index",
    }
    # Backwards: the column holds the plaintext again, the index is emptied
    decrypt_column_in_migration(editor, **spec)
    assert _raw_column("patients_patient", "resident_id", p.pk) == rid
    assert _raw_column("patients_patient", "resident_id_index", p.pk) == ""
    # Forwards: encrypted and indexed as the field itself would
    encrypt_column_in_migration(editor, **spec)
    assert _raw_column("patients_patient", "resident_id", p.pk).startswith("gAAAAA")
    assert Patient.objects.get(resident_id_index=blind_index(rid)).resident_id == rid
    # The history table is append-only (core.immutability): a database migrated in two steps
    # has its trigger before this migration runs, and the migration still passes.
    history = {**spec, "table": "patients_historicalpatient", "pk": "history_id"}
    decrypt_column_in_migration(editor, **history)
    encrypt_column_in_migration(editor, **history)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE patients_historicalpatient SET resident_id = ''")


def test_uniqueness_is_kept_on_the_blind_index() -> None:
    p = patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            resident_id=p.resident_id.lower(),
            name="重复",
            insured_type="employee",
            region=p.region,
        )
