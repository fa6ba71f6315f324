"""API for hospital systems: lodge, status, stays; scoped by organisation (404 otherwise)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import api_key_create
from patients.models import Filing, HospitalStay
from tests.factories.patients import ALL_MATERIALS, clerk, enrol, hospital, patient, resident_id

pytestmark = pytest.mark.django_db


def _key_client(organisation: Any) -> APIClient:
    _key, raw = api_key_create(organisation=organisation, name="HIS", actor=clerk(organisation))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_hospital_system_lodges_a_filing_and_reads_its_status() -> None:
    h = hospital()
    api = _key_client(h)
    body = {
        "resident_id": resident_id(3),
        "name": "刘桂兰",
        "insured_type": "employee",
        "disease_code": "TM104",
        "records_hospital": "衡阳县人民医院",
        "records_hospital_level": "2",
        "materials_received": ALL_MATERIALS,
    }
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        refused = api.post("/api/v1/tm/filings/", body, format="json")
    assert refused.status_code == 400 and refused.json()["rule"] == "HY-G04"
    with time_machine.travel("2027-04-12 10:00 +0800", tick=False):
        created = api.post("/api/v1/tm/filings/", body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    status = api.get(f"/api/v1/tm/filings/{pk}/").json()
    assert status["status"] == "lodged" and "*" in status["resident_id_masked"]
    other = _key_client(hospital("衡阳县中医医院"))
    assert other.get(f"/api/v1/tm/filings/{pk}/").status_code == 404
    assert created.json()["number"] not in other.get("/api/v1/tm/filings/").content.decode()
    assert Filing.objects.count() == 1


def test_filing_api_list_pins_its_query_count(django_assert_max_num_queries: Any) -> None:
    from tests.factories.patients import lodge

    h = hospital()
    with time_machine.travel("2027-04-12 10:00 +0800", tick=False):
        for n in range(1, 6):
            lodge(patient(n))
    api = _key_client(h)
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/tm/filings/")
    assert response.status_code == 200 and response.json()["count"] == 5


def test_hospital_system_records_stays_and_outsider_gets_404(
    django_assert_max_num_queries: Any,
) -> None:
    h = hospital()
    with time_machine.travel("2027-04-12 10:00 +0800", tick=False):
        p = enrol(patient()).patient
    api = _key_client(h)
    with time_machine.travel("2027-04-12 10:00 +0800", tick=False):
        made = api.post(
            "/api/v1/tm/hospital-stays/",
            {"resident_id": p.resident_id, "admitted_on": "2027-03-01"},
            format="json",
        )
        assert made.status_code == 201, made.content
        pk = made.json()["id"]
        done = api.patch(
            f"/api/v1/tm/hospital-stays/{pk}/", {"discharged_on": "2027-03-05"}, format="json"
        )
    assert done.status_code == 200 and done.json()["discharged_on"] == "2027-03-05"
    assert HospitalStay.objects.get().source == "api"
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/tm/hospital-stays/").status_code == 200
    other = _key_client(hospital("衡阳县中医医院"))
    assert other.get(f"/api/v1/tm/hospital-stays/{pk}/").status_code == 404
    assert (
        other.patch(
            f"/api/v1/tm/hospital-stays/{pk}/", {"discharged_on": "2027-03-06"}, format="json"
        ).status_code
        == 404
    )


def test_openapi_schema_documents_the_patient_endpoints() -> None:
    schema = _key_client(hospital()).get("/api/schema/").content.decode()
    assert "/api/v1/tm/filings/" in schema and "/api/v1/tm/hospital-stays/" in schema
