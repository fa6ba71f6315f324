"""The retained-cards register (issue 16.2, HY-E08): search by patient name or pharmacy, or
a POSTed resident ID (audited, never in a URL, not taken for a new application); filters,
sort, the xlsx of what is filtered with resident IDs masked; scoped; queries constant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import OrganisationKind, Role, User
from core.models import AuditAction, AuditEvent
from patients.models import CardRetention, Patient, RetentionReason, RetentionStatus
from tests.factories import member
from tests.factories.patients import org, patient, pharmacy_org
from tests.factories.sessions import login
from tests.patients.list_helpers import sheet_rows, urls_of

pytestmark = pytest.mark.django_db
URL = "/tm/retained-cards/"
SHOP = "衡阳县康民大药房"


def retention(p: Patient, reason: str = RetentionReason.IMMOBILE, **kw: object) -> CardRetention:
    shop = pharmacy_org(SHOP)
    user = member(Role.PHARMACY_MANAGER, organisation=shop)
    return CardRetention.objects.create(
        patient=p,
        pharmacy=shop,
        reason_category=reason,
        application_text="本人行动不便",
        applied_by=user,
        **kw,
    )


def manager() -> Client:
    return login(Client(), member(Role.PHARMACY_MANAGER, organisation=pharmacy_org(SHOP)))


def test_search_filter_export_and_resident_id_search_audited() -> None:
    wang, li = patient(1, name="王建华"), patient(2, name="李秀英")
    retention(wang)
    retention(li, RetentionReason.DEPENDENT, status=RetentionStatus.APPROVED)
    c = manager()
    page = c.get(URL, {"q": "王建"}).content.decode()
    assert "王建华" in page and "李秀英" not in page
    page = c.get(URL, {"status": RetentionStatus.APPROVED}).content.decode()
    assert "李秀英" in page and "王建华" not in page
    page = c.get(URL, {"reason": RetentionReason.IMMOBILE}).content.decode()
    assert "王建华" in page and "李秀英" not in page
    page = c.post(URL, {"blind_q": li.resident_id}).content.decode()
    assert "李秀英" in page and "王建华" not in page and li.masked_id in page
    assert not any(li.resident_id in url for url in urls_of(page))
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_SEARCH).count() == 1
    assert CardRetention.objects.count() == 2  # a search files no application
    rows = sheet_rows(c.get(URL, {"sort": "patient", "export": "xlsx"}))
    assert sorted(r[0] for r in rows) == sorted(
        [f"王建华（{wang.masked_id}）", f"李秀英（{li.masked_id}）"]
    )
    assert wang.resident_id not in str(rows) and li.resident_id not in str(rows)
    rows = sheet_rows(c.get(URL, {"status": RetentionStatus.APPLIED, "export": "xlsx"}))
    assert [r[0] for r in rows] == [f"王建华（{wang.masked_id}）"]


def test_other_pharmacies_and_regions_see_and_export_nothing(outsider_bureau_admin: User) -> None:
    retention(patient(1, name="王建华"))
    other = login(
        Client(), member(Role.PHARMACY_MANAGER, organisation=pharmacy_org("衡阳县仁心药店"))
    )
    assert "王建华" not in other.get(URL).content.decode()
    assert sheet_rows(other.get(URL, {"export": "xlsx"})) == []
    # Another region's bureau has no register of ours (no role for it: refused outright).
    assert login(Client(), outsider_bureau_admin).get(URL).status_code in (403, 404)
    # The county centre sees its region's register.
    centre = org(OrganisationKind.CENTRE, "衡阳县医疗保障事务中心")
    reviewer = login(Client(), member(Role.BUREAU_REVIEWER, organisation=centre))
    assert len(sheet_rows(reviewer.get(URL, {"export": "xlsx"}))) == 1


def test_query_count_does_not_grow_with_rows() -> None:
    retention(patient(1))
    c = manager()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(URL).status_code == 200
        return len(queries)

    few = count()
    for n in range(2, 8):
        retention(patient(n, name=f"患者{n}"))
    assert count() == few
