"""The rosters list (issue 16.2): search by number or hospital, sort, the xlsx of what is
filtered, scoped like the page, queries constant in rows."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from patients.models import Roster
from patients.services import filing_preliminary_review, roster_submit
from tests.factories import member
from tests.factories.patients import bureau, clerk, hospital, lodge, patient
from tests.factories.sessions import login
from tests.patients.list_helpers import sheet_rows

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"
URL = "/tm/rosters/"


def a_roster(*numbers: int) -> Roster:
    h = hospital()
    reviewer = clerk(h)
    with time_machine.travel(APRIL, tick=False):
        for n in numbers:
            filing = lodge(patient(n, name=f"患者{n}"))
            filing_preliminary_review(
                filing=filing, passed=True, reason="", actor=reviewer, organisation=h
            )
        return roster_submit(hospital=h, actor=reviewer)


def officer() -> Client:
    return login(Client(), member(Role.BENEFITS_OFFICER, organisation=bureau()))


def test_search_and_export_what_is_filtered() -> None:
    first, second = a_roster(1, 2), a_roster(3)
    c = officer()
    page = c.get(URL, {"q": second.number}).content.decode()
    assert second.number in page and first.number not in page
    rows = sheet_rows(c.get(URL, {"sort": "number", "export": "xlsx"}))
    assert [(r[0], r[2]) for r in rows] == sorted([(first.number, 2), (second.number, 1)])
    rows = sheet_rows(c.get(URL, {"q": first.number, "export": "xlsx"}))
    assert [r[0] for r in rows] == [first.number]


def test_outsiders_see_and_export_nothing(outsider_bureau_admin: User) -> None:
    roster = a_roster(1)
    c = login(Client(), outsider_bureau_admin)
    assert roster.number not in c.get(URL).content.decode()
    assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []
    other = login(Client(), member(Role.WINDOW_CLERK, organisation=hospital("衡阳县中医医院")))
    assert sheet_rows(other.get(URL, {"export": "xlsx"})) == []


def test_query_count_does_not_grow_with_rows() -> None:
    c = officer()
    a_roster(1)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for n in range(2, 6):
        a_roster(n)
    assert count() == few
