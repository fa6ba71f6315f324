"""The patients list (issue 16.2): search by name or card number; a resident ID only by POST
(blind index, audited, never in a URL); filter, sort, an xlsx masking the resident ID as the
page does, scoped like the page, queries constant in rows."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from core.models import AuditAction, AuditEvent
from patients.models import Patient
from tests.factories import member
from tests.factories.patients import bureau, hospital, lodge, patient
from tests.factories.sessions import login
from tests.patients.list_helpers import sheet_rows, urls_of

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"
URL = "/tm/people/"


def officer() -> Client:
    return login(Client(), member(Role.BENEFITS_OFFICER, organisation=bureau()))


def two() -> tuple[Patient, Patient]:
    with time_machine.travel(APRIL, tick=False):
        wang = patient(1, name="王建华")
        li = patient(2, name="李秀英", insured_type="resident")
    return wang, li


def test_search_by_name_and_resident_id_by_post_only_and_audited() -> None:
    _wang, li = two()
    c = officer()
    page = c.get(URL, {"q": "王建"}).content.decode()
    assert "王建华" in page and "李秀英" not in page
    page = c.post(URL, {"blind_q": li.resident_id.lower()}).content.decode()
    assert "李秀英" in page and "王建华" not in page and li.masked_id in page
    assert not any(li.resident_id in url for url in urls_of(page))
    event = AuditEvent.objects.get(action=AuditAction.RECORD_SEARCH)
    assert li.resident_id not in event.detail
    # A resident ID in the query string does nothing (and is not searched as a name).
    page = c.get(URL, {"blind_q": li.resident_id}).content.decode()
    assert "王建华" in page and AuditEvent.objects.filter(action="record_search").count() == 1
    assert "没有符合条件的记录" in c.get(URL, {"q": li.resident_id}).content.decode()


def test_filter_sort_and_export_masks_resident_ids() -> None:
    wang, li = two()
    c = officer()
    page = c.get(URL, {"insured_type": "resident"}).content.decode()
    assert "李秀英" in page and "王建华" not in page
    rows = sheet_rows(c.get(URL, {"sort": "-name", "export": "xlsx"}))
    assert [r[0] for r in rows] == sorted(["王建华", "李秀英"], reverse=True)
    assert [r[1] for r in rows if r[0] == "王建华"] == [wang.masked_id]
    assert wang.resident_id not in str(rows) and li.resident_id not in str(rows)
    rows = sheet_rows(c.get(URL, {"insured_type": "resident", "export": "xlsx"}))
    assert [r[0] for r in rows] == ["李秀英"]


def test_outsiders_see_and_export_nothing(outsider_bureau_admin: User) -> None:
    wang, _li = two()
    c = login(Client(), outsider_bureau_admin)
    assert "王建华" not in c.get(URL).content.decode()
    assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []
    assert "王建华" not in c.post(URL, {"blind_q": wang.resident_id}).content.decode()
    # A hospital sees the patients filed or reviewed there only.
    with time_machine.travel(APRIL, tick=False):
        lodge(wang)
    h = login(Client(), member(Role.WINDOW_CLERK, organisation=hospital()))
    assert [r[0] for r in sheet_rows(h.get(URL, {"export": "xlsx"}))] == ["王建华"]


def test_query_count_does_not_grow_with_rows() -> None:
    c = officer()
    with time_machine.travel(APRIL, tick=False):
        patient(1)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    with time_machine.travel(APRIL, tick=False):
        for n in range(2, 8):
            patient(n, name=f"患者{n}")
    assert count() == few
