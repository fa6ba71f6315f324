"""The prescriptions list (issue 16.2): search by patient name, number or drug; filters
source, kind, month, the physician's "whole hospital" scope (kept by the search form) and the
bureau's pharmacy; sort; the xlsx of what is filtered with resident IDs masked as on the page;
scoped like the page; queries constant in rows."""

from __future__ import annotations

import io
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Role, User
from patients.models import Patient
from prescriptions.models import Prescription, PrescriptionKind
from tests.factories import member
from tests.factories.patients import hospital
from tests.factories.prescriptions import World, world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"
URL = "/dispensing/prescriptions/"


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    if response.status_code == 404:  # a role or programme without this list: nothing at all
        return []
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def issue(w: World, n: int = 1) -> list[Prescription]:
    with time_machine.travel(MAY, tick=False):
        return [w.prescription(kind=PrescriptionKind.LONG_TERM) for _i in range(n)]


def test_search_by_patient_number_and_drug_and_filters() -> None:
    one, two = world(1), world(2)
    Patient.objects.filter(pk=two.patient.pk).update(name="李秀英")
    (p1,), (p2,) = issue(one), issue(two)
    c = login(Client(), one.physician)  # same hospital: the whole hospital's prescriptions
    page = c.get(URL, {"all": "1", "q": "李秀"}).content.decode()
    assert p2.number in page and p1.number not in page
    page = c.get(URL, {"all": "1", "q": p1.number}).content.decode()
    assert p1.number in page and p2.number not in page
    page = c.get(URL, {"all": "1", "q": one.drug.generic_name}).content.decode()
    assert page.count(f">{p1.number}<") == 1 and p2.number in page  # no duplicate rows
    page = c.get(URL, {"all": "1", "kind": PrescriptionKind.NORMAL}).content.decode()
    assert p1.number not in page
    page = c.get(URL, {"all": "1", "month": "2027-05-01", "kind": "long_term"}).content.decode()
    assert p1.number in page and p2.number in page
    # Months are those of the page's own rows: another month is no choice and filters nothing.
    assert p1.number in c.get(URL, {"all": "1", "month": "2027-04-01"}).content.decode()


def test_physician_mine_or_whole_hospital_and_export_masks_ids() -> None:
    w = world()
    mine = issue(w, 2)
    colleague = World(
        **{**w.__dict__, "physician": member(Role.PHYSICIAN, organisation=hospital())}
    )
    (theirs,) = issue(colleague)
    c = login(Client(), w.physician)
    page = c.get(URL).content.decode()
    assert theirs.number not in page and all(p.number in page for p in mine)
    # The search form keeps "whole hospital" (a hidden field), and the export follows it.
    page = c.get(URL, {"all": "1", "q": theirs.number}).content.decode()
    assert theirs.number in page and '<input type="hidden" name="all" value="1">' in page
    assert 'name="all"' not in c.get(URL).content.decode()
    rows = sheet_rows(c.get(URL, {"all": "1", "sort": "number", "export": "xlsx"}))
    assert [r[0] for r in rows] == sorted(p.number for p in [*mine, theirs])
    assert w.patient.masked_id in rows[0][2] and w.patient.resident_id not in str(rows)
    rows = sheet_rows(c.get(URL, {"export": "xlsx"}))
    assert sorted(r[0] for r in rows) == sorted(p.number for p in mine)


def test_outsiders_see_and_export_nothing(
    outsider_pharmacy_manager: User, outsider_bureau_admin: User
) -> None:
    w = world()
    (p,) = issue(w)
    other = world(2)
    for user in (outsider_pharmacy_manager, outsider_bureau_admin, other.pharmacist):
        c = login(Client(), user)
        assert p.number not in c.get(URL, {"all": "1"}).content.decode()
        assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []


def test_query_count_does_not_grow_with_rows() -> None:
    w = world()
    issue(w)
    c = login(Client(), w.physician)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    issue(w, 5)
    assert count() == few
