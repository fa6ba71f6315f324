"""The filings list (issue 16.2): search by patient name, filing number or a POSTed resident
ID (blind index, audited, never in a URL), filters, sort, the xlsx of what is filtered with
resident IDs masked as on the page, scoped like the page, queries constant in rows."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from core.models import AuditAction, AuditEvent
from patients.models import Filing, FilingStatus, Patient
from tests.factories import member
from tests.factories.patients import bureau, disease, hospital, lodge, patient
from tests.factories.sessions import login
from tests.patients.list_helpers import sheet_rows, urls_of

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"
URL = "/tm/"


def officer() -> Client:
    return login(Client(), member(Role.BENEFITS_OFFICER, organisation=bureau()))


def two_filings() -> tuple[Filing, Filing]:
    with time_machine.travel(APRIL, tick=False):
        wang = lodge(patient(1, name="王建华"))
        li = lodge(patient(2, name="李秀英"), code="TM102")
    return wang, li


def test_search_by_name_number_and_resident_id_posted_and_audited() -> None:
    wang, li = two_filings()
    c = officer()
    page = c.get(URL, {"q": "王建"}).content.decode()
    assert wang.number in page and li.number not in page
    page = c.get(URL, {"q": li.number}).content.decode()
    assert li.number in page and wang.number not in page
    # A resident ID is POSTed, found through its blind index, and the lookup is audited.
    p: Patient = li.patient
    page = c.post(URL, {"blind_q": p.resident_id}).content.decode()
    assert li.number in page and wang.number not in page and p.masked_id in page
    assert not any(p.resident_id in url for url in urls_of(page))
    event = AuditEvent.objects.get(action=AuditAction.RECORD_SEARCH)
    assert p.resident_id not in event.detail and p.masked_id in event.detail
    # In a query string it is ignored: no lookup, no audit.
    page = c.get(URL, {"blind_q": p.resident_id}).content.decode()
    assert wang.number in page and AuditEvent.objects.filter(action="record_search").count() == 1


def test_filters_status_round_disease_and_programme() -> None:
    wang, li = two_filings()
    Filing.objects.filter(pk=li.pk).update(status=FilingStatus.PRELIMINARY_PASSED)
    c = officer()
    page = c.get(URL, {"status": FilingStatus.PRELIMINARY_PASSED}).content.decode()
    assert li.number in page and wang.number not in page
    page = c.get(URL, {"disease": disease("TM101").pk}).content.decode()
    assert wang.number in page and li.number not in page
    page = c.get(URL, {"programme": disease().programme_id}).content.decode()
    assert wang.number in page and li.number in page
    assert wang.round_label  # a normal disease lodged in April: the round's label
    page = c.get(URL, {"round": wang.round_label}).content.decode()
    assert wang.number in page
    assert (
        wang.number not in c.get(URL, {"round": wang.round_label, "q": li.number}).content.decode()
    )
    page = c.get(URL, {"q": "不存在的人"}).content.decode()
    assert "没有符合条件的记录" in page


def test_export_is_filtered_sorted_and_masks_resident_ids() -> None:
    wang, li = two_filings()
    c = officer()
    rows = sheet_rows(c.get(URL, {"sort": "-number", "export": "xlsx"}))
    assert [r[0] for r in rows] == sorted([wang.number, li.number], reverse=True)
    text = str(rows)
    assert wang.patient.masked_id in text
    assert wang.patient.resident_id not in text and li.patient.resident_id not in text
    rows = sheet_rows(c.get(URL, {"q": "李秀英", "export": "xlsx"}))
    assert [r[0] for r in rows] == [li.number]


def test_outsiders_see_and_export_nothing(outsider_bureau_admin: User) -> None:
    wang, _li = two_filings()
    c = login(Client(), outsider_bureau_admin)
    assert wang.number not in c.get(URL).content.decode()
    assert sheet_rows(c.get(URL, {"export": "xlsx"})) == []
    assert wang.number not in c.post(URL, {"blind_q": wang.patient.resident_id}).content.decode()
    # Another hospital's window clerk sees none of ours.
    other = login(Client(), member(Role.WINDOW_CLERK, organisation=hospital("衡阳县中医医院")))
    assert sheet_rows(other.get(URL, {"export": "xlsx"})) == []


def test_query_count_does_not_grow_with_rows(client: Any) -> None:
    c = officer()
    with time_machine.travel(APRIL, tick=False):
        lodge(patient(1))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    with time_machine.travel(APRIL, tick=False):
        for n in range(2, 8):
            lodge(patient(n, name=f"患者{n}"))
    assert count() == few
