"""The hospital stays list (issue 16.2, HY-G08): search by patient name or a POSTed resident
ID (blind index, audited, never in a URL, not taken for a new stay), filters, sort, the xlsx
of what is filtered with resident IDs masked, a hospital's own only, queries constant."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditAction, AuditEvent
from patients.models import HospitalStay, Patient, StaySource
from tests.factories.patients import clerk, hospital, patient
from tests.factories.sessions import login
from tests.patients.list_helpers import sheet_rows, urls_of

pytestmark = pytest.mark.django_db
URL = "/tm/stays/"


def stay(p: Patient, *, out: date | None = None, at: str = "衡阳县人民医院") -> HospitalStay:
    return HospitalStay.objects.create(
        patient=p,
        hospital=hospital(at),
        admitted_on=date(2027, 6, 1),
        discharged_on=out,
        source=StaySource.HOSPITAL,
    )


def test_search_filter_export_and_resident_id_search_audited() -> None:
    wang, li = patient(1, name="王建华"), patient(2, name="李秀英")
    stay(wang)
    stay(li, out=date(2027, 6, 9))
    c = login(Client(), clerk(hospital()))
    page = c.get(URL, {"q": "王建"}).content.decode()
    assert "王建华" in page and "李秀英" not in page
    page = c.get(URL, {"in_hospital": "out"}).content.decode()
    assert "李秀英" in page and "王建华" not in page
    page = c.post(URL, {"blind_q": li.resident_id}).content.decode()
    assert "李秀英" in page and "王建华" not in page and li.masked_id in page
    assert not any(li.resident_id in url for url in urls_of(page))
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_SEARCH).count() == 1
    assert HospitalStay.objects.count() == 2, list(HospitalStay.objects.values())
    rows = sheet_rows(c.get(URL, {"sort": "patient", "export": "xlsx"}))
    assert sorted(r[0] for r in rows) == sorted(
        [f"王建华（{wang.masked_id}）", f"李秀英（{li.masked_id}）"]
    )
    assert wang.resident_id not in str(rows)
    rows = sheet_rows(c.get(URL, {"in_hospital": "in", "export": "xlsx"}))
    assert [r[0] for r in rows] == [f"王建华（{wang.masked_id}）"]


def test_other_hospitals_see_and_export_nothing() -> None:
    stay(patient(1, name="王建华"))
    other = login(Client(), clerk(hospital("衡阳县中医医院")))
    assert "王建华" not in other.get(URL).content.decode()
    assert sheet_rows(other.get(URL, {"export": "xlsx"})) == []


def test_query_count_does_not_grow_with_rows() -> None:
    stay(patient(1))
    c = login(Client(), clerk(hospital()))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for n in range(2, 8):
        stay(patient(n, name=f"患者{n}"))
    assert count() == few
