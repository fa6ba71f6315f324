"""API: pharmacy side (profile, staff, evidence, applications) and bureau review actions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from accounts.services import api_key_create
from accreditation.checklists import uploadable_kinds
from accreditation.models import ApplicationStatus
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login(Client(), user)


@time_machine.travel(date(2026, 3, 2))
def test_pharmacy_applies_over_the_api_and_the_reviewer_accepts() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    _key, raw = api_key_create(organisation=pharmacy.organisation, name="POS", actor=manager)
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    created = api.post(
        "/api/v1/applications/", {"programme": "HY-TM"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    refused = api.post(f"/api/v1/applications/{pk}/submit/")
    assert refused.status_code == 400 and refused.json()["rule"] == "HY-D02"
    for kind in uploadable_kinds("HY-TM"):
        response = api.post(
            f"/api/v1/applications/{pk}/documents/", {"kind": kind, "file": h.pdf()}
        )
        assert response.status_code == 200, response.content
    api.post(
        f"/api/v1/applications/{pk}/pledges/",
        {"truthful": True, "security": True},
        content_type="application/json",
    )
    assert api.post(f"/api/v1/applications/{pk}/submit/").json()["status"] == "submitted"
    # an API key cannot act for the bureau
    assert api.post(f"/api/v1/applications/{pk}/accept/").status_code == 404
    rc = _client(reviewer)
    accepted = rc.post(f"/api/v1/applications/{pk}/accept/").json()
    assert accepted["status"] == ApplicationStatus.ACCEPTED
    assert accepted["evaluation_due_on"] == "2026-06-02"
    supplement = rc.post(
        f"/api/v1/applications/{pk}/request-supplement/",
        {"note": "请补充银行流水"},
        content_type="application/json",
    )
    assert supplement.json()["status"] == "supplement"
    detail = api.get(f"/api/v1/applications/{pk}/").json()
    assert [e["new_status"] for e in detail["events"]][-1] == "supplement"
    # the pharmacy cannot run the reviewer's move
    assert _client(manager).post(f"/api/v1/applications/{pk}/sign/").status_code == 404


@time_machine.travel(date(2026, 3, 2))
def test_staff_api_masks_the_resident_id_and_checks_it() -> None:
    pharmacy = h.pharmacy()
    client = _client(h.manager_of(pharmacy))
    data = {
        "name": "王药师",
        "post": "pharmacist",
        "resident_id": "430421198501011230",
        "hired_on": "2026-02-01",
        "licensed_pharmacist": True,
    }
    assert client.post("/api/v1/staff/", data, content_type="application/json").status_code == 400
    data["resident_id"] = h.resident_id(321)
    created = client.post("/api/v1/staff/", data, content_type="application/json").json()
    assert "resident_id" not in created and created["masked_resident_id"].count("*") == 8
    evidence = client.post(
        "/api/v1/staff-evidence/",
        {"staff": created["id"], "kind": "bank_statement", "month": "2026-02-01", "file": h.pdf()},
    )
    assert evidence.status_code == 201, evidence.content
    profile = client.patch(
        f"/api/v1/pharmacies/{pharmacy.pk}/",
        {"video_retention_days": 800},
        content_type="application/json",
    )
    assert profile.json()["video_retention_days"] == 800


@time_machine.travel(date(2026, 3, 2))
def test_outsider_gets_404_on_another_pharmacys_application_staff_and_evidence(
    outsider_pharmacy_manager: User, django_assert_max_num_queries: Any
) -> None:
    pharmacy = h.pharmacy()
    application = h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy))
    staff = pharmacy.staff.first()
    assert staff is not None
    outsider = _client(outsider_pharmacy_manager)
    assert outsider.get(f"/api/v1/applications/{application.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/staff/{staff.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/pharmacies/{pharmacy.pk}/").status_code == 404
    assert outsider.get("/api/v1/applications/").json()["results"] == []
    # Another pharmacy's staff id in a body answers as an unknown id does (issue 12.5).
    refused = outsider.post(
        "/api/v1/staff-evidence/",
        {"staff": staff.pk, "kind": "labour_contract", "file": h.pdf()},
    )
    assert refused.status_code == 400 and refused.json() == {"staff": ["未找到。"]}
    for _ in range(3):
        other = h.pharmacy()
        h.submitted(other, h.hy(), h.manager_of(other))
    reviewer = _client(h.reviewer())
    with django_assert_max_num_queries(10):
        listed = reviewer.get("/api/v1/applications/").json()
    assert listed["count"] == 4


def test_schema_documents_the_application_actions() -> None:
    schema = _client(h.reviewer()).get("/api/schema/").content.decode()
    assert "/api/v1/applications/{id}/request-supplement/" in schema
    assert "/api/v1/staff-evidence/" in schema


def test_designation_api_assesses_and_records_violations_for_reviewers_only(
    outsider_pharmacy_manager: User,
) -> None:
    from accreditation.models import Designation

    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    designation = Designation.objects.create(
        pharmacy=pharmacy, programme=h.hy(), starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)
    )
    url = f"/api/v1/designations/{designation.pk}"
    with time_machine.travel(date(2026, 3, 2)):
        rc = _client(reviewer)
        refused = rc.post(f"{url}/assess/", {"result": "failed"}, content_type="application/json")
        assert refused.status_code == 400
        body = rc.post(
            f"{url}/assess/",
            {"result": "failed", "rectification_until": "2026-03-25"},
            content_type="application/json",
        ).json()
        assert body["status"] == "rectification"
        no_amount = rc.post(
            f"{url}/violations/",
            {
                "found_on": "2026-03-01",
                "finding": "串换药品",
                "rule_id": "HY-E10",
                "decision": "refuse_payment",
            },
            content_type="application/json",
        )
        assert no_amount.status_code == 400 and no_amount.json()["rule"] == "HY-E10"
        own = _client(manager)
        assert own.get(f"{url}/").json()["status"] == "rectification"
        assert own.post(f"{url}/assess/", {"result": "passed"}).status_code == 404
        assert _client(outsider_pharmacy_manager).get(f"{url}/").status_code == 404
