"""The dispensings list (issue 16.2): search by patient name, number or drug; filters status,
month and (bureau) pharmacy; sort; the xlsx of what is filtered with resident IDs masked as
on the page; scoped like the page; queries constant in rows."""

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
from prescriptions.models import Dispensing, DispensingStatus, PrescriptionKind
from prescriptions.services import dispensing_submit
from tests.factories import member
from tests.factories.patients import bureau
from tests.factories.prescriptions import World, world
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"
URL = "/dispensing/dispensings/"


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    if response.status_code == 404:  # a role or programme without this list: nothing at all
        return []
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def sell(w: World, times: int = 1) -> list[Dispensing]:
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(kind=PrescriptionKind.LONG_TERM)
        return [
            dispensing_submit(
                pharmacy=w.pharmacy,
                prescription=p,
                lines=[w.line(p, 1)],
                actor=w.pharmacist,
                identity_confirmed=True,
                patient_signed=True,
            )
            for _i in range(times)
        ]


def officer() -> Client:
    return login(Client(), member(Role.BENEFITS_OFFICER, organisation=bureau()))


def test_search_filter_and_pharmacy_filter_for_the_bureau() -> None:
    one, two = world(1), world(2)
    (d1,), (d2,) = sell(one), sell(two)
    Dispensing.objects.filter(pk=d2.pk).update(status=DispensingStatus.RETURNED)
    c = officer()
    page = c.get(URL, {"q": d1.number}).content.decode()
    assert d1.number in page and d2.number not in page
    page = c.get(URL, {"q": one.drug.generic_name}).content.decode()
    assert page.count(d1.number) == 1  # the drug search joins the lines: no duplicate rows
    page = c.get(URL, {"status": DispensingStatus.RETURNED}).content.decode()
    assert d2.number in page and d1.number not in page
    page = c.get(URL, {"pharmacy": one.pharmacy.pk}).content.decode()
    assert d1.number in page and d2.number not in page
    page = c.get(URL, {"month": "2027-05-01"}).content.decode()
    assert d1.number in page and d2.number in page and '<option value="2027-05-01"' in page
    assert "没有符合条件的记录" in c.get(URL, {"q": "不存在"}).content.decode()


def test_export_is_filtered_sorted_and_masks_resident_ids() -> None:
    w = world()
    sold = sell(w, 3)
    c = login(Client(), w.pharmacist)
    rows = sheet_rows(c.get(URL, {"sort": "number", "export": "xlsx"}))
    assert [r[0] for r in rows] == sorted(d.number for d in sold)
    assert w.patient.masked_id in rows[0][3] and w.patient.resident_id not in str(rows)
    rows = sheet_rows(c.get(URL, {"q": sold[1].number, "export": "xlsx"}))
    assert [r[0] for r in rows] == [sold[1].number]


def test_outsiders_and_other_pharmacies_see_and_export_nothing(
    outsider_pharmacy_manager: User, outsider_bureau_admin: User
) -> None:
    one, two = world(1), world(2)
    (d1,) = sell(one)
    for user in (outsider_pharmacy_manager, outsider_bureau_admin, two.pharmacist):
        c = login(Client(), user)
        assert d1.number not in c.get(URL).content.decode()
        assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []


def test_query_count_does_not_grow_with_rows() -> None:
    w = world()
    sell(w)
    c = officer()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    sell(w, 5)
    assert count() == few
